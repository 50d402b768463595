/** agent/telemetry/collector.ts: one heartbeat's telemetry from a real exporter page, within budget. */
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_TELEMETRY_BYTES,
  MAX_TELEMETRY_LOG_CHARS,
  MAX_TELEMETRY_LOG_LINES,
  parseTelemetry,
  type ComponentTelemetry,
  type Telemetry,
} from '../../api/protocol/telemetry.ts';
import { TelemetryCollector, withinBudget } from '../../agent/telemetry/collector.ts';
import { VectorLogRing } from '../../agent/telemetry/log-lines.ts';
import { createNodeFetch } from '../../agent/transport/http.ts';
import { memoryLogger } from './helpers.ts';

const page = fs.readFileSync(path.join(import.meta.dirname, 'fixtures/vector-metrics.prom'), 'utf8');
let server: Server;
let url: string;
let answer = 200;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(req.url === '/metrics' ? answer : 404, { 'content-type': 'text/plain' });
    res.end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function collector(options: { running?: boolean; metricsUrl?: string } = {}) {
  const { log, records } = memoryLogger();
  const logs = new VectorLogRing(() => Date.parse('2026-12-06T09:00:00Z'));
  logs.push('2026-12-06T09:00:00Z ERROR vector::sinks::http: Request failed.');
  const collect = new TelemetryCollector({
    metricsUrl: 'metricsUrl' in options ? options.metricsUrl : url,
    fetch: createNodeFetch(),
    host: { sample: async () => ({ load1: 0.5 }) },
    logs,
    vectorRunning: () => options.running ?? true,
    scrapeTimeoutMs: 2000,
    log,
  });
  return { collect, records };
}

describe('TelemetryCollector', () => {
  it('scrapes the exporter and adds the host and the log lines, as the server keeps them', async () => {
    const t = await collector().collect.collect();
    expect(t.vector).toEqual({ uptimeSeconds: 5130.25, reloads: 3 });
    expect(t.components?.map((c) => c.id)).toEqual(['app_logs', 'parse', 'to_es']);
    expect(t.host).toEqual({ load1: 0.5 });
    expect(t.logs).toHaveLength(1);
    expect(parseTelemetry(t).rejected).toEqual([]);
  });

  it('sends no Vector part while Vector is stopped, without a port, or when the scrape fails (warned once)', async () => {
    expect((await collector({ running: false }).collect.collect()).components).toBeUndefined();
    expect((await collector({ metricsUrl: undefined }).collect.collect()).vector).toBeUndefined();
    answer = 503;
    try {
      const { collect, records } = collector();
      expect((await collect.collect()).vector).toBeUndefined();
      expect((await collect.collect()).host).toEqual({ load1: 0.5 });
      expect(records.filter((r) => r.msg === 'cannot scrape vector metrics')).toHaveLength(1);
    } finally {
      answer = 200;
    }
  });
});

describe('withinBudget', () => {
  const component = (i: number): ComponentTelemetry => ({
    id: `component_${'x'.repeat(100)}_${i}`,
    kind: 'transform',
    type: 'remap',
    eventsIn: Number.MAX_SAFE_INTEGER,
    eventsOut: Number.MAX_SAFE_INTEGER,
    bytesIn: Number.MAX_SAFE_INTEGER,
    bytesOut: Number.MAX_SAFE_INTEGER,
    errors: Number.MAX_SAFE_INTEGER,
    discarded: Number.MAX_SAFE_INTEGER,
    bufferEvents: Number.MAX_SAFE_INTEGER,
    bufferBytes: Number.MAX_SAFE_INTEGER,
  });
  const logs = Array.from({ length: MAX_TELEMETRY_LOG_LINES }, () => ({
    time: '2026-12-06T09:00:00.000Z',
    level: 'error' as const,
    message: 'e'.repeat(MAX_TELEMETRY_LOG_CHARS),
  }));
  const size = (t: Telemetry) => Buffer.byteLength(JSON.stringify(t));

  it('keeps a telemetry object under the budget as it is', () => {
    const small: Telemetry = { components: [component(1)], logs };
    expect(withinBudget(small)).toBe(small);
  });

  it('drops the log lines first, then components, to fit MAX_TELEMETRY_BYTES', () => {
    const some: Telemetry = { components: Array.from({ length: 60 }, (_, i) => component(i)), logs };
    expect(size(some)).toBeGreaterThan(MAX_TELEMETRY_BYTES);
    const fitted = withinBudget(some);
    expect(fitted.logs).toBeUndefined();
    expect(fitted.components).toHaveLength(60);
    const many: Telemetry = { components: Array.from({ length: 100 }, (_, i) => component(i)) };
    const cut = withinBudget(many);
    expect(size(cut)).toBeLessThanOrEqual(MAX_TELEMETRY_BYTES);
    expect(cut.components!.length).toBeGreaterThan(0);
    expect(parseTelemetry(cut).rejected).toEqual([]);
  });
});
