/**
 * The agent's own two Vector components, added to every config next to `data_dir`: an
 * `internal_metrics` source and a `prometheus_exporter` sink on 127.0.0.1:<metrics port>, which the
 * agent scrapes each heartbeat (agent/telemetry). Their ids start with RESERVED_COMPONENT_ID_PREFIX,
 * which a group's pipeline may not use. Line-based like withDataDir: the config is a block mapping
 * whose `sources:` / `sinks:` keys sit at column 0; the components go first into each (or a new key
 * is appended). A config in another shape is returned unchanged, and Vector then runs without them.
 */
import { RESERVED_COMPONENT_ID_PREFIX } from '../../api/protocol/v1.ts';

export const METRICS_SOURCE_ID = `${RESERVED_COMPONENT_ID_PREFIX}metrics`;
export const METRICS_SINK_ID = `${RESERVED_COMPONENT_ID_PREFIX}metrics_exporter`;
/** How often internal_metrics samples Vector's counters (the agent scrapes every heartbeat). */
export const METRICS_SCRAPE_INTERVAL_SECONDS = 10;

/** The exporter's address for `port`: loopback only. */
export function metricsAddress(port: number): string {
  return `127.0.0.1:${port}`;
}

/**
 * `body` with the metrics source and exporter sink added, or unchanged when it is not a block
 * mapping, or already defines either id, or writes `sources:` / `sinks:` in flow style.
 */
export function withTelemetryComponents(body: string, address: string): string {
  const lines = body.split('\n');
  if (!lines.some((line) => TOP_LEVEL_KEY.test(line))) return body;
  if (lines.some((line) => line.includes(METRICS_SOURCE_ID) || line.includes(METRICS_SINK_ID))) return body;
  const source = [
    `${METRICS_SOURCE_ID}:`,
    `  type: internal_metrics`,
    `  scrape_interval_secs: ${METRICS_SCRAPE_INTERVAL_SECONDS}`,
  ];
  const sink = [
    `${METRICS_SINK_ID}:`,
    `  type: prometheus_exporter`,
    `  inputs: [${METRICS_SOURCE_ID}]`,
    `  address: ${JSON.stringify(address)}`,
  ];
  const withSource = insertUnder(lines, 'sources', source);
  const withBoth = withSource && insertUnder(withSource, 'sinks', sink);
  return withBoth ? withBoth.join('\n') : body;
}

const TOP_LEVEL_KEY = /^(?:[A-Za-z0-9_]|"[^"]*"|'[^']*')[^:#]*:(?:\s|$)/;

/** `lines` with `entry` added first under top-level `key` (indented like its children); null when flow style. */
function insertUnder(lines: string[], key: string, entry: string[]): string[] | null {
  const keyLine = new RegExp(`^(?:${key}|"${key}"|'${key}')\\s*:(.*)$`);
  const at = lines.findIndex((line) => keyLine.test(line));
  if (at === -1) {
    const end = lines.length > 0 && lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
    return [...lines.slice(0, end), `${key}:`, ...entry.map((l) => `  ${l}`), ...lines.slice(end)];
  }
  const rest = keyLine
    .exec(lines[at])![1]
    .replace(/\s+#.*$/, '')
    .trim();
  if (rest !== '') return null;
  const child = lines.slice(at + 1).find((line) => !/^\s*(?:#.*)?$/.test(line));
  const indent = child && /^\s+/.test(child) ? /^\s+/.exec(child)![0] : '  ';
  return [...lines.slice(0, at + 1), ...entry.map((l) => indent + l), ...lines.slice(at + 1)];
}
