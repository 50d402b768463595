// The `prometheus_exporter` sink fed by an `internal_metrics` source: GET /metrics on the sink's
// `address` (default 0.0.0.0:9598; other paths 404) serves Vector's internal metrics in the text
// exposition format, laid out as the reference describes them (vector_ namespace; component_id,
// component_kind, component_type and host tags; HELP/TYPE per family; millisecond timestamps).
// Counters advance with the time since this process started (10 events/s per component, 250 bytes
// each), so a restarted Vector starts again from zero, as a real one does.
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { KINDS } from './catalogue.mjs';

const DEFAULT_ADDRESS = '0.0.0.0:9598';
const EVENTS_PER_SECOND = 10;
const BYTES_PER_EVENT = 250;

/** The address of the first prometheus_exporter sink that reads an internal_metrics source, if any. */
export function exporterAddress(config) {
  const internal = new Set(
    Object.entries(config.sources ?? {})
      .filter(([, source]) => source?.type === 'internal_metrics')
      .map(([id]) => id),
  );
  const sink = Object.values(config.sinks ?? {}).find(
    (s) => s?.type === 'prometheus_exporter' && (s.inputs ?? []).some((input) => internal.has(input)),
  );
  return sink ? (sink.address ?? DEFAULT_ADDRESS) : undefined;
}

/**
 * Serves the metrics page for `state()` = `{config, startedAtMs, reloads}` (read on each request, so
 * a reload shows at once) on `address`. Returns a handle with `address` and `close()`.
 */
export function startMetricsExporter(address, state, { onError }) {
  const split = address.lastIndexOf(':');
  const host = address.slice(0, split).replace(/^\[(.*)\]$/, '$1');
  const server = createServer((request, response) => {
    if (request.url?.split('?')[0] !== '/metrics' || request.method !== 'GET') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    response.end(metricsPage(state()));
  });
  server.on('error', onError);
  server.listen(Number(address.slice(split + 1)), host);
  return {
    address,
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}

/** The exposition text for one scrape. */
export function metricsPage({ config, startedAtMs, reloads }) {
  const now = Date.now();
  const seconds = (now - startedAtMs) / 1000;
  const events = Math.floor(seconds * EVENTS_PER_SECOND);
  const tags = `host="${hostname()}"`;
  const families = [
    ['uptime_seconds', 'gauge', [[tags, seconds.toFixed(3)]]],
    ['started_total', 'counter', [[tags, 1]]],
    ['reloaded_total', 'counter', [[tags, reloads]]],
  ];
  const components = Object.entries(KINDS).flatMap(([section, kind]) =>
    Object.entries(config[section] ?? {}).map(([id, c]) => ({ id, kind, type: c?.type ?? 'unknown' })),
  );
  const perComponent = (name, type, value) => [
    name,
    type,
    components
      .filter((c) => value(c) !== undefined)
      .map((c) => [
        `component_id="${c.id}",component_kind="${c.kind}",component_type="${c.type}",${tags}`,
        value(c),
      ]),
  ];
  families.push(
    perComponent('component_received_events_total', 'counter', () => events),
    perComponent('component_received_event_bytes_total', 'counter', () => events * BYTES_PER_EVENT),
    perComponent('component_sent_events_total', 'counter', () => events),
    perComponent('component_sent_event_bytes_total', 'counter', () => events * BYTES_PER_EVENT),
    perComponent('component_errors_total', 'counter', () => 0),
    perComponent('component_discarded_events_total', 'counter', () => 0),
    perComponent('buffer_size_events', 'gauge', (c) => (c.kind === 'sink' ? events % 100 : undefined)),
    perComponent('buffer_size_bytes', 'gauge', (c) =>
      c.kind === 'sink' ? (events % 100) * BYTES_PER_EVENT : undefined,
    ),
  );
  return families
    .map(([name, type, series]) =>
      [
        `# HELP vector_${name} ${name}`,
        `# TYPE vector_${name} ${type}`,
        ...series.map(([labels, value]) => `vector_${name}{${labels}} ${value} ${now}`),
      ].join('\n'),
    )
    .join('\n')
    .concat('\n');
}
