/**
 * agent/apply/telemetry-components.ts: the agent's metrics source and exporter, added next to
 * data_dir; the stand-in Vector validates the result.
 */
import { describe, expect, it } from 'vitest';
import {
  METRICS_SINK_ID,
  METRICS_SOURCE_ID,
  metricsAddress,
  withTelemetryComponents,
} from '../../agent/apply/telemetry-components.ts';
import { withDataDir } from '../../agent/apply/apply.ts';
import { parsePrometheusText } from '../../agent/telemetry/prometheus.ts';
import { vectorMetrics } from '../../agent/telemetry/vector-metrics.ts';
import { SUITE, freePort, inSandbox } from './fake-vector-harness.ts';
import { waitFor } from './helpers.ts';

const PIPELINE = `# rendered by flotilla
sources:
    app:
        type: demo_logs
        format: json
sinks:
    out:
        type: blackhole
        inputs: [app]
`;

describe('withTelemetryComponents', () => {
  it('adds the source and the exporter first under sources: and sinks:, indented like their siblings', () => {
    const text = withTelemetryComponents(PIPELINE, '127.0.0.1:9599');
    expect(text).toBe(`# rendered by flotilla
sources:
    ${METRICS_SOURCE_ID}:
      type: internal_metrics
      scrape_interval_secs: 10
    app:
        type: demo_logs
        format: json
sinks:
    ${METRICS_SINK_ID}:
      type: prometheus_exporter
      inputs: [${METRICS_SOURCE_ID}]
      address: "127.0.0.1:9599"
    out:
        type: blackhole
        inputs: [app]
`);
  });

  it('appends a sinks: key when the config has none, and leaves other shapes alone', () => {
    const onlySources = 'sources:\n  app:\n    type: demo_logs\n    format: json\n';
    expect(withTelemetryComponents(onlySources, '127.0.0.1:1')).toContain(
      `sinks:\n  ${METRICS_SINK_ID}:\n    type: prometheus_exporter`,
    );
    const flow =
      'sources: {app: {type: demo_logs, format: json}}\nsinks:\n  out: {type: blackhole, inputs: [app]}\n';
    expect(withTelemetryComponents(flow, '127.0.0.1:1')).toBe(flow);
    expect(withTelemetryComponents('{}', '127.0.0.1:1')).toBe('{}');
    const once = withTelemetryComponents(PIPELINE, '127.0.0.1:1');
    expect(withTelemetryComponents(once, '127.0.0.1:1')).toBe(once);
  });

  it('gives a config the stand-in Vector validates and runs, serving counters that advance', SUITE, () =>
    inSandbox(async (box) => {
      const port = await freePort();
      const config = withTelemetryComponents(withDataDir(PIPELINE, box.dir), metricsAddress(port));
      const file = await box.write('vector.yaml', config);
      const validated = await box.run(['validate', '--no-environment', file]);
      expect(validated.code).toBe(0);
      await box.start(['--config', file]);
      const scrape = async () => {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        expect(res.status).toBe(200);
        const page = parsePrometheusText(await res.text());
        expect(page.skipped).toBe(0);
        return vectorMetrics(page.samples);
      };
      const first = await waitFor('the exporter', () => scrape().catch(() => undefined));
      expect(first.components.map((c) => [c.id, c.kind, c.type])).toEqual([
        ['app', 'source', 'demo_logs'],
        ['out', 'sink', 'blackhole'],
      ]);
      const eventsOut = first.components[0].eventsOut;
      const later = await waitFor('advancing counters', async () => {
        const next = await scrape();
        return next.components[0].eventsOut > eventsOut && next;
      });
      expect(later.vector.uptimeSeconds).toBeGreaterThan(first.vector.uptimeSeconds!);
      expect(later.vector.reloads).toBe(0);
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    }),
  );
});
