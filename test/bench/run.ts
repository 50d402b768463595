/**
 * `npm run bench`: every benchmark in one run on this machine, printed as a table of ratios against
 * the bare node:http baseline plus the fleet benchmarks (fleet-bench.ts: capacity, propagation,
 * fan-out, dashboard memory), and written to test/bench/results/latest.json. Never part of npm test.
 * `npm run bench -- protocol` runs only the protocol ratios. The load averages before and after
 * are printed; a run that started with a 1-minute load above LOADED is marked as taken under load.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as prettier from 'prettier';
import { ROOT, loadAverage, pinning, startBaseline } from './lib.ts';
import { benchBackend, type RatioSpread } from './protocol.ts';
import { benchFleet } from './fleet-bench.ts';
import { fleetTable } from './fleet-table.ts';
import { benchTelemetryStore, telemetryLine } from './telemetry-store.ts';

/** Above this 1-minute load average at the start, the figures are marked as taken under load. */
const LOADED = 1.5;
const onlyProtocol = process.argv.includes('protocol');

const started = new Date();
const startLoad = loadAverage();
const baselineServer = await startBaseline();
const backends = [];
try {
  const bareUrl = `http://127.0.0.1:${baselineServer.port}`;
  for (const backend of ['postgres', 'pglite'] as const) backends.push(await benchBackend(backend, bareUrl));
} finally {
  await baselineServer.stop();
}
const fleet = onlyProtocol ? undefined : await benchFleet();
const telemetry = onlyProtocol
  ? undefined
  : await benchTelemetryStore(Number(process.env.BENCH_TELEMETRY_AGENTS ?? 10_000), 10);
const endLoad = loadAverage();
const underLoad = startLoad[0] > LOADED;

const pct = (r: RatioSpread) => `${r.median.toFixed(0)} % (${r.min.toFixed(0)}–${r.max.toFixed(0)})`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rows: string[][] = [['what', 'req/s (median)', 'vs bare: median (spread)', 'target']];
for (const r of backends) {
  rows.push([
    `${r.backend}: 204 poll`,
    median(r.rounds.map((x) => x.poll.requestsPerSecond)).toFixed(0),
    pct(r.pollVsBare),
    '≥ 60 %',
  ]);
  rows.push([
    `${r.backend}: heartbeat`,
    median(r.rounds.map((x) => x.heartbeat.requestsPerSecond)).toFixed(0),
    pct(r.heartbeatVsBare),
    '≥ 50 %',
  ]);
}
const bare = backends.flatMap((r) => r.rounds);
rows.push([
  'bare node:http GET 204',
  median(bare.map((x) => x.bareGet.requestsPerSecond)).toFixed(0),
  '',
  '',
]);
rows.push([
  'bare node:http JSON POST',
  median(bare.map((x) => x.barePost.requestsPerSecond)).toFixed(0),
  '',
  '',
]);
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const table = rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n');
const memory = backends
  .map((r) => `${r.backend}: ${r.bytesPerHeldPoll} bytes RSS per held long-poll`)
  .join('\n');
const conditions =
  `load average ${startLoad.join(' ')} at the start, ${endLoad.join(' ')} at the end` +
  (underLoad ? ` — TAKEN UNDER LOAD (start above ${LOADED}): both sides slowed, ratios noisy` : '');

const result = {
  date: started.toISOString(),
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    /** Other work shares this machine: the 1/5/15-minute load averages at the start and the end. */
    loadAverage: startLoad,
    loadAverageAfter: endLoad,
    underLoad,
    pinning,
  },
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
  `\nFlotilla benchmarks, ${started.toISOString()}, ${os.cpus().length} cores, Node ${process.version}\n` +
    `${conditions}\npinning: ${pinning}\n\n${table}\n\n${memory}\n` +
    (fleet ? `\n${fleetTable(fleet)}\n` : '') +
    (telemetry ? `\n${telemetryLine(telemetry)}\n` : ''),
);
