/**
 * `npm run bench`: every benchmark in one run on this machine, printed as a table of ratios against
 * the bare node:http baseline plus the fleet benchmarks (fleet-bench.ts: capacity, propagation,
 * fan-out, dashboard memory), and written to test/bench/results/latest.json. Never part of npm test.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as prettier from 'prettier';
import { ROOT } from './lib.ts';
import { benchBackend, benchBaseline } from './protocol.ts';
import { benchFleet } from './fleet-bench.ts';
import { fleetTable } from './fleet-table.ts';
import { benchTelemetryStore, telemetryLine } from './telemetry-store.ts';

const started = new Date();
const startLoad = os.loadavg().map((l) => Math.round(l * 100) / 100);
const baseline = await benchBaseline();
const backends = [];
for (const backend of ['postgres', 'pglite'] as const) backends.push(await benchBackend(backend));
const fleet = await benchFleet();
const telemetry = await benchTelemetryStore(Number(process.env.BENCH_TELEMETRY_AGENTS ?? 10_000), 10);

const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)} %`;
const rows: string[][] = [['what', 'req/s', 'p99 ms', 'vs bare', 'target', 'non-2xx']];
rows.push([
  'bare node:http GET 204',
  baseline.get.requestsPerSecond.toFixed(0),
  baseline.get.p99Ms.toFixed(1),
  '100 %',
  '',
  String(baseline.get.errors),
]);
rows.push([
  'bare node:http JSON POST',
  baseline.post.requestsPerSecond.toFixed(0),
  baseline.post.p99Ms.toFixed(1),
  '100 %',
  '',
  String(baseline.post.errors),
]);
for (const r of backends) {
  rows.push([
    `${r.backend}: 204 poll`,
    r.poll.requestsPerSecond.toFixed(0),
    r.poll.p99Ms.toFixed(1),
    pct(r.poll.requestsPerSecond, baseline.get.requestsPerSecond),
    '≥ 60 %',
    String(r.poll.errors),
  ]);
  rows.push([
    `${r.backend}: heartbeat`,
    r.heartbeat.requestsPerSecond.toFixed(0),
    r.heartbeat.p99Ms.toFixed(1),
    pct(r.heartbeat.requestsPerSecond, baseline.post.requestsPerSecond),
    '≥ 35 %',
    String(r.heartbeat.errors),
  ]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const table = rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n');
const memory = backends
  .map((r) => `${r.backend}: ${r.bytesPerHeldPoll} bytes RSS per held long-poll`)
  .join('\n');

const result = {
  date: started.toISOString(),
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    /** Other work shares this machine: the 1/5/15-minute load averages when the run started. */
    loadAverage: startLoad,
  },
  baseline,
  backends,
  fleet,
  telemetry,
};
await fs.mkdir(path.join(ROOT, 'test/bench/results'), { recursive: true });
const latest = path.join(ROOT, 'test/bench/results/latest.json');
// Formatted as `npm run lint` expects, so a fresh result can be committed as it is.
const formatted = await prettier.format(JSON.stringify(result, null, 2), {
  ...(await prettier.resolveConfig(latest)),
  filepath: latest,
});
await fs.writeFile(latest, formatted);
process.stdout.write(
  `\nFlotilla benchmarks, ${started.toISOString()}, ${os.cpus().length} cores, Node ${process.version}\n\n${table}\n\n${memory}\n\n${fleetTable(fleet)}\n\n${telemetryLine(telemetry)}\n`,
);
