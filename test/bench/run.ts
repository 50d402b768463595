/**
 * `npm run bench`: every benchmark in one run on this machine, printed as a table of ratios against
 * the bare node:http baseline plus the fleet benchmarks (fleet-bench.ts: capacity, propagation,
 * fan-out, dashboard memory), the pinned 204 poll, a gate breach to reverted, telemetry storage
 * (replayed: telemetry-store.ts; and over HTTP with the simulator: telemetry-http.ts), the failover
 * of two replicas behind nginx (replicas.ts), and written to test/bench/results/latest.json. Never
 * part of npm test. `npm run bench -- protocol` runs only the protocol ratios (and the pinned poll);
 * `npm run bench -- replicas` only the failover, written to results/replicas.json; `npm run bench
 * -- fleet` only the fleet benchmarks, written to results/fleet.json. The load
 * averages before and after are printed; a run that started with a 1-minute load above LOADED is
 * marked as taken under load.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as prettier from 'prettier';
import { ROOT, loadAverage, pinning, startBaseline } from './lib.ts';
import { benchBackend, type RatioSpread } from './protocol.ts';
import { benchFleet } from './fleet-bench.ts';
import { benchPinnedPoll } from './pinned-poll.ts';
import { benchRolloutRevert, revertLine } from './rollout-revert.ts';
import { fleetTable } from './fleet-table.ts';
import { benchTelemetryStore, telemetryLine } from './telemetry-store.ts';
import { measureMetricsOverhead } from './metrics-overhead.ts';
import { benchReplicas, replicasLines } from './replicas.ts';
import { benchTelemetryHttp, telemetryHttpLine, type TelemetryHttpResult } from './telemetry-http.ts';

/** Above this 1-minute load average at the start, the figures are marked as taken under load. */
const LOADED = 1.5;
const onlyProtocol = process.argv.includes('protocol');
const onlyReplicas = process.argv.includes('replicas');
const onlyFleet = process.argv.includes('fleet');
const all = !onlyProtocol && !onlyReplicas && !onlyFleet;

const started = new Date();
const startLoad = loadAverage();
const backends = [];
if (!onlyReplicas && !onlyFleet) {
  const baselineServer = await startBaseline();
  try {
    const bareUrl = `http://127.0.0.1:${baselineServer.port}`;
    for (const backend of ['postgres', 'pglite'] as const)
      backends.push(await benchBackend(backend, bareUrl));
  } finally {
    await baselineServer.stop();
  }
}
// In-process CPU time, so it runs alone, between the wrk runs.
const metricsOverhead = onlyReplicas || onlyFleet ? undefined : measureMetricsOverhead();
const pinnedPoll = onlyReplicas || onlyFleet ? undefined : await benchPinnedPoll();
const fleet = all || onlyFleet ? await benchFleet() : undefined;
const rolloutRevert = all ? await benchRolloutRevert() : undefined;
const telemetryAgents = Number(process.env.BENCH_TELEMETRY_AGENTS ?? 10_000);
const telemetry = all ? await benchTelemetryStore(telemetryAgents, 10) : undefined;
// The same fleet over HTTP at the production interval, then time-compressed 10× (as 10 × the agents).
const telemetryHttp: TelemetryHttpResult[] = [];
if (all)
  for (const seconds of [30, 10]) telemetryHttp.push(await benchTelemetryHttp(telemetryAgents, seconds, 5));
const replicas = onlyProtocol || onlyFleet ? undefined : await benchReplicas();
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
  rows.push([
    `${r.backend}: heartbeat with telemetry (${r.telemetryBodyBytes} B) vs the same bare POST`,
    median(r.rounds.map((x) => x.telemetry.requestsPerSecond)).toFixed(0),
    pct(r.telemetryVsBare),
    'stated',
  ]);
}
const bare = backends.flatMap((r) => r.rounds);
if (bare.length) {
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
  rows.push([
    'bare node:http JSON POST of the heartbeat with telemetry',
    median(bare.map((x) => x.bareTelemetry.requestsPerSecond)).toFixed(0),
    '',
    '',
  ]);
}
const postgres = backends.find((r) => r.backend === 'postgres');
if (metricsOverhead && postgres) {
  // One core serves the poll, so its time per request is 1 / its rate.
  const pollNs = 1e9 / median(postgres.rounds.map((x) => x.poll.requestsPerSecond));
  rows.push([
    '/metrics instrumentation per agent request (CPU)',
    `${metricsOverhead.nsPerRequestMedian} ns`,
    `${((100 * metricsOverhead.nsPerRequestMedian) / pollNs).toFixed(1)} % of a postgres 204 poll`,
    'negligible',
  ]);
}
if (pinnedPoll)
  rows.push([
    `postgres: 204 poll of pinned agents (${pinnedPoll.agents})`,
    median(pinnedPoll.rounds.map((x) => x.pinned.requestsPerSecond)).toFixed(0),
    `${pct(pinnedPoll.pinnedVsUnpinned)} of unpinned`,
    '≈ 100 %',
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
  metricsOverhead,
  pinnedPoll,
  fleet,
  rolloutRevert,
  telemetry,
  replicas,
  telemetryHttp,
};
await fs.mkdir(path.join(ROOT, 'test/bench/results'), { recursive: true });
// The failover and the fleet runs alone have files of their own, so they leave the last full run's
// figures in place.
const resultFile = onlyReplicas ? 'replicas.json' : onlyFleet ? 'fleet.json' : 'latest.json';
const latest = path.join(ROOT, 'test/bench/results', resultFile);
// Formatted as `npm run lint` expects, so a fresh result can be committed as it is.
const formatted = await prettier.format(JSON.stringify(result, null, 2), {
  ...(await prettier.resolveConfig(latest)),
  filepath: latest,
});
await fs.writeFile(latest, formatted);
process.stdout.write(
  `\nFlotilla benchmarks, ${started.toISOString()}, ${os.cpus().length} cores, Node ${process.version}\n` +
    `${conditions}\npinning: ${pinning}\n` +
    (backends.length ? `\n${table}\n\n${memory}\n` : '') +
    (fleet ? `\n${fleetTable(fleet)}\n` : '') +
    (telemetry ? `\n${telemetryLine(telemetry)}\n` : '') +
    telemetryHttp.map((t) => `${telemetryHttpLine(t)}\n`).join('') +
    (rolloutRevert ? `\n${revertLine(rolloutRevert)}\n` : '') +
    (replicas ? `\n${replicasLines(replicas)}\n` : ''),
);
