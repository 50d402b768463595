/** agent/telemetry/prometheus.ts and vector-metrics.ts: the exposition parser and Vector's names. */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Telemetry } from '../../api/protocol/telemetry.ts';
import { parsePrometheusText, parseSampleLine } from '../../agent/telemetry/prometheus.ts';
import { vectorMetrics } from '../../agent/telemetry/vector-metrics.ts';

const page = fs.readFileSync(path.join(import.meta.dirname, 'fixtures/vector-metrics.prom'), 'utf8');

describe('parsePrometheusText', () => {
  it('reads every sample of a Vector exporter page, with labels, escapes and timestamps', () => {
    const { samples, skipped } = parsePrometheusText(page);
    expect(skipped).toBe(0);
    expect(samples).toHaveLength(page.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length);
    expect(samples[1]).toEqual({ name: 'vector_uptime_seconds', labels: { host: 'web-1' }, value: 5130.25 });
    const quoted = samples.find((s) => s.labels.file?.includes('quoted'));
    expect(quoted?.labels.file).toBe('/var/log/app/"quoted" b.log');
    expect(samples.find((s) => s.labels.le === '+Inf')?.value).toBe(120400);
    expect(
      samples.find((s) => s.name.endsWith('received_event_bytes_total') && s.labels.component_id === 'to_es')
        ?.value,
    ).toBe(30_400_000);
  });

  it('reads the special values and samples without labels or timestamps', () => {
    expect(parseSampleLine('a_total 3')).toEqual({ name: 'a_total', labels: {}, value: 3 });
    expect(parseSampleLine('a +Inf')?.value).toBe(Infinity);
    expect(parseSampleLine('a -Inf')?.value).toBe(-Infinity);
    expect(parseSampleLine('a NaN')?.value).toBeNaN();
    expect(parseSampleLine('a{} 1e-3 17')).toEqual({ name: 'a', labels: {}, value: 0.001 });
    expect(parseSampleLine('a{x="1\\n2\\\\",} 2')?.labels).toEqual({ x: '1\n2\\' });
  });

  it('skips malformed lines and keeps the others', () => {
    const text = [
      'ok 1',
      'no_value',
      'bad{x=1} 2',
      'bad{x="1"} two',
      '1abc 2',
      'ok2{x="y"} 5 1 2',
      'unterminated{x="y} 1',
      'ok3 7',
    ].join('\n');
    const { samples, skipped } = parsePrometheusText(text);
    expect(samples.map((s) => s.name)).toEqual(['ok', 'ok3']);
    expect(skipped).toBe(6);
  });

  it('reads back any sample it could have been given (fast-check)', () => {
    const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/);
    const labelValue = fc.string({ maxLength: 20 });
    fc.assert(
      fc.property(
        name,
        fc.dictionary(name, labelValue, { maxKeys: 4 }),
        fc.double({ noNaN: true }),
        (n, labels, value) => {
          const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
          const body = Object.entries(labels)
            .map(([k, v]) => `${k}="${escape(v)}"`)
            .join(',');
          const text = `${n}{${body}} ${Number.isFinite(value) ? String(value) : value > 0 ? '+Inf' : '-Inf'} 1700000000000`;
          const sample = parseSampleLine(text);
          expect(sample).toEqual({
            name: n,
            labels: { ...labels },
            value: value === 0 ? 0 : value,
          });
        },
      ),
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string(), (text) => void parsePrometheusText(text)));
  });
});

describe('vectorMetrics', () => {
  it('maps Vector’s metric names to per-component totals, leaving the agent’s own components out', () => {
    const { vector, components } = vectorMetrics(parsePrometheusText(page).samples);
    expect(vector).toEqual({ uptimeSeconds: 5130.25, reloads: 3 });
    expect(components).toEqual([
      {
        id: 'app_logs',
        kind: 'source',
        type: 'file',
        eventsIn: 120400,
        eventsOut: 120400,
        bytesIn: 30412800,
        bytesOut: 30412800,
        errors: 0,
        discarded: 0,
      },
      {
        id: 'parse',
        kind: 'transform',
        type: 'remap',
        eventsIn: 120400,
        eventsOut: 120400,
        bytesIn: 30412800,
        bytesOut: 30400000,
        errors: 20,
        discarded: 20,
      },
      {
        id: 'to_es',
        kind: 'sink',
        type: 'http',
        eventsIn: 120380,
        eventsOut: 120300,
        bytesIn: 30400000,
        bytesOut: 30380000,
        errors: 2,
        discarded: 0,
        bufferEvents: 80,
        bufferBytes: 20480,
      },
    ]);
    expect(Telemetry.safeParse({ vector, components }).success).toBe(true);
  });

  it('accepts the buffer gauges’ names of Vector 0.52 and older', () => {
    const text = [
      'vector_buffer_events{component_id="s",component_kind="sink",component_type="http"} 7',
      'vector_buffer_byte_size{component_id="s",component_kind="sink",component_type="http"} 700',
    ].join('\n');
    expect(vectorMetrics(parsePrometheusText(text).samples).components[0]).toMatchObject({
      bufferEvents: 7,
      bufferBytes: 700,
    });
  });

  it('whatever the page, yields telemetry the protocol accepts (fast-check)', () => {
    const sample = fc.record({
      name: fc.constantFrom(
        'vector_component_received_events_total',
        'vector_component_errors_total',
        'vector_buffer_size_bytes',
        'vector_uptime_seconds',
        'vector_reloaded_total',
        'other',
      ),
      labels: fc.record({
        component_id: fc.string({ maxLength: 200 }),
        component_kind: fc.constantFrom('source', 'sink', 'transform', 'x'),
        component_type: fc.string({ maxLength: 80 }),
      }),
      value: fc.oneof(fc.double(), fc.constant(Number.MAX_VALUE)),
    });
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 150 }), (samples) => {
        const parsed = Telemetry.safeParse(vectorMetrics(samples));
        expect(parsed.success).toBe(true);
      }),
    );
  });
});
