/**
 * The optional `telemetry` object of a heartbeat (protocol v1): Vector's own counters per
 * component, host metrics and recent Vector warning/error lines. Counters are monotonic totals
 * since Vector (or the host, or the agent) started; the server turns them into rates and treats a
 * decrease as a restart. Unlike the rest of the heartbeat it is parsed leniently, part by part
 * (parseTelemetry): a malformed or oversized part is dropped and named in `rejected`, and the
 * heartbeat's other fields still apply. A leaf beside v1.ts: it imports only zod and v1.ts.
 */
import * as z from 'zod';
import { type HeartbeatRequest } from './v1.ts';
import { boundedText, isStorableText, MAX_UPTIME_SECONDS } from './storable.ts';

/** Most components one heartbeat reports; later entries are dropped (and named in `rejected`). */
export const MAX_TELEMETRY_COMPONENTS = 100;
/** Most Vector log lines one heartbeat carries (the newest ones). */
export const MAX_TELEMETRY_LOG_LINES = 20;
/** Longest Vector log line, in characters; the agent cuts longer lines to this. */
export const MAX_TELEMETRY_LOG_CHARS = 512;
/** Longest component id / component type, in characters. */
export const MAX_COMPONENT_ID_CHARS = 128;
export const MAX_COMPONENT_TYPE_CHARS = 64;
/** Largest `telemetry` object, in bytes of its JSON text; a larger one is dropped as a whole. */
export const MAX_TELEMETRY_BYTES = 32 * 1024;
/** Most entries of `rejected`: one bad agent cannot flood the server's log. */
export const MAX_TELEMETRY_REJECTIONS = 10;

/** A monotonic total (events, bytes): a non-negative integer JSON numbers hold exactly. */
const counter = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A gauge of bytes or events. */
const amount = counter;

export const ComponentKind = z.enum(['source', 'transform', 'sink']);
export type ComponentKind = z.infer<typeof ComponentKind>;

/**
 * One Vector component's totals, summed over its outputs and tags. Events and bytes are Vector's
 * `component_received_events_total` / `component_sent_events_total` and
 * `component_received_event_bytes_total` / `component_sent_event_bytes_total`; 0 where Vector
 * reports nothing (a source receives no events from other components, a sink sends none).
 */
export const ComponentTelemetry = z.object({
  id: boundedText(MAX_COMPONENT_ID_CHARS, { min: 1 }),
  kind: ComponentKind,
  type: boundedText(MAX_COMPONENT_TYPE_CHARS, { min: 1 }),
  eventsIn: counter,
  eventsOut: counter,
  bytesIn: counter,
  bytesOut: counter,
  errors: counter,
  discarded: counter,
  /** Events / bytes in the component's buffer now (gauges; sinks with a buffer only). */
  bufferEvents: amount.optional(),
  bufferBytes: amount.optional(),
});
export type ComponentTelemetry = z.infer<typeof ComponentTelemetry>;

/** Vector as a whole: how long it has run, and how many reloads succeeded since it started. */
export const VectorTelemetry = z.object({
  uptimeSeconds: z.number().min(0).max(MAX_UPTIME_SECONDS).optional(),
  reloads: counter.optional(),
});
export type VectorTelemetry = z.infer<typeof VectorTelemetry>;

const load = z.number().min(0).max(1_000_000);

/** The host and the agent process. Every field is optional: a platform may not offer it. */
export const HostTelemetry = z.object({
  /** Busy share of all CPUs since the previous heartbeat, 0–100. */
  cpuPercent: z.number().min(0).max(100).optional(),
  load1: load.optional(),
  load5: load.optional(),
  load15: load.optional(),
  memoryUsedBytes: amount.optional(),
  memoryAvailableBytes: amount.optional(),
  /** The filesystem of Vector's data directory. */
  diskUsedBytes: amount.optional(),
  diskTotalBytes: amount.optional(),
  /** Totals over every interface except loopback, since boot. */
  networkInBytes: counter.optional(),
  networkOutBytes: counter.optional(),
  agentRssBytes: amount.optional(),
  /** User plus system CPU time of the agent process since it started. */
  agentCpuSeconds: z.number().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
export type HostTelemetry = z.infer<typeof HostTelemetry>;

export const TelemetryLogLevel = z.enum(['warn', 'error']);
export type TelemetryLogLevel = z.infer<typeof TelemetryLogLevel>;

/** One recent warning or error line of Vector's output, with the time the agent read it. */
export const TelemetryLogLine = z.object({
  time: z.iso.datetime(),
  level: TelemetryLogLevel,
  message: boundedText(MAX_TELEMETRY_LOG_CHARS),
});
export type TelemetryLogLine = z.infer<typeof TelemetryLogLine>;

/** The whole object, as the agent builds it (every part optional). */
export const Telemetry = z.object({
  vector: VectorTelemetry.optional(),
  components: z.array(ComponentTelemetry).max(MAX_TELEMETRY_COMPONENTS).optional(),
  host: HostTelemetry.optional(),
  logs: z.array(TelemetryLogLine).max(MAX_TELEMETRY_LOG_LINES).optional(),
});
export type Telemetry = z.infer<typeof Telemetry>;

/** A heartbeat with its telemetry parsed: what the server's heartbeat route hands to the fleet. */
export type ParsedHeartbeat = Omit<HeartbeatRequest, 'telemetry'> & { telemetry?: Telemetry };

/** What parseTelemetry kept, and why it dropped the rest (`path: reason`, at most MAX_TELEMETRY_REJECTIONS). */
export interface TelemetryParse {
  telemetry: Telemetry | undefined;
  rejected: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parse a heartbeat's `telemetry` leniently: `vector` and `host` field by field, `components` and
 * `logs` entry by entry (entries past their limit dropped); anything malformed is dropped and named
 * in `rejected` while the rest is kept. Unknown fields are ignored. A value larger than
 * MAX_TELEMETRY_BYTES is dropped whole. `undefined` (no telemetry) yields nothing and no rejection.
 */
export function parseTelemetry(raw: unknown): TelemetryParse {
  if (raw === undefined || raw === null) return { telemetry: undefined, rejected: [] };
  const rejected: string[] = [];
  const reject = (path: string, reason: string) => rejected.push(`telemetry${path}: ${reason}`);
  if (!isObject(raw)) {
    reject('', 'must be an object');
    return { telemetry: undefined, rejected };
  }
  if (Buffer.byteLength(JSON.stringify(raw)) > MAX_TELEMETRY_BYTES) {
    reject('', `must be at most ${MAX_TELEMETRY_BYTES} bytes of JSON`);
    return { telemetry: undefined, rejected };
  }
  const telemetry: Telemetry = {};
  if (raw.vector !== undefined)
    telemetry.vector = fieldByField(VectorTelemetry, raw.vector, '.vector', reject);
  if (raw.host !== undefined)
    telemetry.host = plainHost(raw.host) ?? fieldByField(HostTelemetry, raw.host, '.host', reject);
  if (raw.components !== undefined) {
    telemetry.components = entryByEntry(
      ComponentTelemetry,
      raw.components,
      '.components',
      MAX_TELEMETRY_COMPONENTS,
      reject,
      plainComponent,
    );
  }
  if (raw.logs !== undefined) {
    telemetry.logs = entryByEntry(TelemetryLogLine, raw.logs, '.logs', MAX_TELEMETRY_LOG_LINES, reject);
  }
  return { telemetry, rejected: capped(rejected) };
}

type Reject = (path: string, reason: string) => void;

/** The fields of `raw` that `schema`'s own field schemas accept; the others are rejected. */
function fieldByField<S extends z.ZodObject>(
  schema: S,
  raw: unknown,
  path: string,
  reject: Reject,
): z.infer<S> | undefined {
  if (!isObject(raw)) {
    reject(path, 'must be an object');
    return undefined;
  }
  const kept: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    if (raw[key] === undefined) continue;
    const parsed = field.safeParse(raw[key]);
    if (parsed.success) kept[key] = parsed.data;
    else reject(`${path}.${key}`, parsed.error.issues[0].message);
  }
  return kept as z.infer<S>;
}

/**
 * The entries of the array `raw` that `schema` accepts, at most `max` of them. `plain`, when given,
 * accepts an entry as it is when the schema would return it unchanged (no copy, no schema run).
 */
function entryByEntry<T>(
  schema: z.ZodType<T>,
  raw: unknown,
  path: string,
  max: number,
  reject: Reject,
  plain?: (entry: unknown) => T | undefined,
): T[] | undefined {
  if (!Array.isArray(raw)) {
    reject(path, 'must be an array');
    return undefined;
  }
  if (raw.length > max) reject(path, `at most ${max} entries; ${raw.length - max} dropped`);
  const kept: T[] = [];
  // By index: this runs for every heartbeat, and slice().entries() copies the array and pairs each entry.
  for (let index = 0; index < Math.min(raw.length, max); index++) {
    const entry: unknown = raw[index];
    const accepted = plain?.(entry);
    if (accepted !== undefined) {
      kept.push(accepted);
      continue;
    }
    const parsed = schema.safeParse(entry);
    if (parsed.success) kept.push(parsed.data);
    else {
      const issue = parsed.error.issues[0];
      reject([path, index, ...issue.path].join('.'), issue.message);
    }
  }
  return kept;
}

function capped(rejected: string[]): string[] {
  if (rejected.length <= MAX_TELEMETRY_REJECTIONS) return rejected;
  const more = rejected.length - (MAX_TELEMETRY_REJECTIONS - 1);
  return [...rejected.slice(0, MAX_TELEMETRY_REJECTIONS - 1), `telemetry: ${more} more problems`];
}

// The everyday parts without zod: a component and the host object are accepted as they are when
// they hold only their schema's fields, each within its bounds, so the schema would return them
// unchanged; anything else goes through the schema (and its error). A property test checks that
// whatever these accept, the schema accepts unchanged.

/** The bounds of a number field, read from its zod schema. */
interface NumberField {
  min: number;
  max: number;
  integer: boolean;
  optional: boolean;
}

/** The number fields of a zod object shape with their bounds (one home: the schema above). */
function numberFields(shape: Record<string, z.ZodType>): Map<string, NumberField> {
  const fields = new Map<string, NumberField>();
  for (const [key, field] of Object.entries(shape)) {
    const optional = field instanceof z.ZodOptional;
    const inner = optional ? field.unwrap() : field;
    if (!(inner instanceof z.ZodNumber)) continue;
    const bounds = { min: inner.minValue ?? -Infinity, max: inner.maxValue ?? Infinity };
    fields.set(key, { ...bounds, integer: inner.isInt, optional });
  }
  return fields;
}

/** Whether every field of `fields` is absent (when optional) or a number within its bounds. */
function numbersFit(value: Record<string, unknown>, fields: Map<string, NumberField>): boolean {
  for (const [key, f] of fields) {
    const v = value[key];
    if (v === undefined) {
      if (!f.optional) return false;
    } else if (typeof v !== 'number' || v < f.min || v > f.max || (f.integer && !Number.isInteger(v)))
      return false;
  }
  return true;
}

const COMPONENT_NUMBERS = numberFields(ComponentTelemetry.shape);
// Only the fields checked below: a field added to the schema sends its components to the schema.
const COMPONENT_KEYS = new Set(['id', 'kind', 'type', ...COMPONENT_NUMBERS.keys()]);
const COMPONENT_KINDS = new Set<unknown>(ComponentKind.options);
// Keys in a Map, not a plain object: `__proto__` or `constructor` must not look like a field.
const HOST_NUMBERS = numberFields(HostTelemetry.shape);

const isText = (v: unknown, max: number): boolean =>
  typeof v === 'string' && v.length >= 1 && v.length <= max && isStorableText(v);

/** `value` as a ComponentTelemetry when the schema would accept it unchanged; undefined: ask the schema. */
export function plainComponent(value: unknown): ComponentTelemetry | undefined {
  if (!isObject(value)) return undefined;
  for (const key in value) if (!COMPONENT_KEYS.has(key)) return undefined;
  const ok =
    isText(value.id, MAX_COMPONENT_ID_CHARS) &&
    COMPONENT_KINDS.has(value.kind) &&
    isText(value.type, MAX_COMPONENT_TYPE_CHARS) &&
    numbersFit(value, COMPONENT_NUMBERS);
  return ok ? (value as ComponentTelemetry) : undefined;
}

/** `value` as a HostTelemetry when the schema would accept it unchanged; undefined: ask the schema. */
export function plainHost(value: unknown): HostTelemetry | undefined {
  if (!isObject(value)) return undefined;
  for (const key in value) if (!HOST_NUMBERS.has(key)) return undefined;
  return numbersFit(value, HOST_NUMBERS) ? (value as HostTelemetry) : undefined;
}
