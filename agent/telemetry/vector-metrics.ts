/**
 * Vector's internal metrics, as scraped from the agent's own `prometheus_exporter` sink, mapped to
 * the heartbeat's telemetry: per component the totals summed over outputs and tags, plus Vector's
 * uptime and reload count. Names are matched with the `vector_` namespace prefix that
 * `internal_metrics` uses by default. The agent's own components (RESERVED_COMPONENT_ID_PREFIX) are
 * left out. Buffer gauges accept the 0.53+ names and the older ones.
 */
import { RESERVED_COMPONENT_ID_PREFIX } from '../../api/protocol/v1.ts';
import { isStorableText, MAX_UPTIME_SECONDS } from '../../api/protocol/storable.ts';
import {
  ComponentKind,
  MAX_COMPONENT_ID_CHARS,
  MAX_COMPONENT_TYPE_CHARS,
  MAX_TELEMETRY_COMPONENTS,
  type ComponentTelemetry,
  type VectorTelemetry,
} from '../../api/protocol/telemetry.ts';
import type { Sample } from './prometheus.ts';

const PREFIX = 'vector_';

type Field =
  'eventsIn' | 'eventsOut' | 'bytesIn' | 'bytesOut' | 'errors' | 'discarded' | 'bufferEvents' | 'bufferBytes';

/** Vector metric name (without the namespace) → the component field it adds to. */
export const COMPONENT_METRICS: Readonly<Record<string, Field>> = {
  component_received_events_total: 'eventsIn',
  component_sent_events_total: 'eventsOut',
  component_received_event_bytes_total: 'bytesIn',
  component_sent_event_bytes_total: 'bytesOut',
  component_errors_total: 'errors',
  component_discarded_events_total: 'discarded',
  buffer_size_events: 'bufferEvents',
  buffer_events: 'bufferEvents',
  buffer_size_bytes: 'bufferBytes',
  buffer_byte_size: 'bufferBytes',
};

export interface VectorMetrics {
  vector: VectorTelemetry;
  components: ComponentTelemetry[];
}

/** A count Vector printed as a float, as the protocol's non-negative integer (undefined when not finite). */
function asCount(value: number): number | undefined {
  if (!Number.isFinite(value)) return undefined;
  return Math.min(Math.max(0, Math.round(value)), Number.MAX_SAFE_INTEGER);
}

/**
 * Fold scraped samples into Vector and per-component telemetry: components in the order they first
 * appear, at most MAX_TELEMETRY_COMPONENTS; samples without a usable component id, kind and type
 * (such as reload errors) count for no component.
 */
export function vectorMetrics(samples: readonly Sample[]): VectorMetrics {
  const vector: VectorTelemetry = {};
  const components = new Map<string, ComponentTelemetry>();
  for (const sample of samples) {
    if (!sample.name.startsWith(PREFIX)) continue;
    const name = sample.name.slice(PREFIX.length);
    const count = asCount(sample.value);
    if (count === undefined) continue;
    if (name === 'uptime_seconds' && sample.value <= MAX_UPTIME_SECONDS)
      vector.uptimeSeconds = Math.max(0, sample.value);
    else if (name === 'reloaded_total') vector.reloads = count;
    const field = COMPONENT_METRICS[name];
    if (!field) continue;
    const component = componentOf(components, sample.labels);
    if (component) component[field] = (component[field] ?? 0) + count;
  }
  return { vector, components: [...components.values()] };
}

function componentOf(
  components: Map<string, ComponentTelemetry>,
  labels: Record<string, string>,
): ComponentTelemetry | undefined {
  const id = labels.component_id;
  if (!id || id.startsWith(RESERVED_COMPONENT_ID_PREFIX) || id.length > MAX_COMPONENT_ID_CHARS)
    return undefined;
  if (!isStorableText(id)) return undefined;
  const known = components.get(id);
  if (known) return known;
  const kind = ComponentKind.safeParse(labels.component_kind);
  const type = labels.component_type;
  if (!kind.success || !type || type.length > MAX_COMPONENT_TYPE_CHARS || !isStorableText(type))
    return undefined;
  if (components.size >= MAX_TELEMETRY_COMPONENTS) return undefined;
  const created: ComponentTelemetry = {
    id,
    kind: kind.data,
    type,
    eventsIn: 0,
    eventsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    errors: 0,
    discarded: 0,
  };
  components.set(id, created);
  return created;
}
