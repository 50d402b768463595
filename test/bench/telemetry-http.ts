/**
 * Telemetry storage measured with the simulator: one server process on a fresh PostgreSQL database,
 * AGENTS simulated agents (agent/sim, telemetry on: ten components, host metrics) enrolled over HTTP
 * into 20 groups, heartbeating every HEARTBEAT seconds. After a warm-up of two intervals, MINUTES
 * minutes of wall time (rounded up to whole 5-minute buckets) are measured: heartbeats answered, rows written to each telemetry table
 * (inserts + updates from pg_stat_user_tables), CPU of the database's backends (/proc), then bytes
 * per row of each table after ANALYZE, and the growth per day.
 *
 * Time compression, as in the capacity steps: HEARTBEAT 3 s sends what 10 × AGENTS agents send at
 * 30 s, and the telemetry flush (FLOTILLA_TELEMETRY_FLUSH_MS) shrinks in the same proportion, so the
 * latest-row writes per second are those of the bigger fleet (in batches 10 × smaller). Agent
 * buckets close on the wall clock every 5 minutes and minute aggregates once a minute per group and
 * component, whatever the interval: the history of `equivalentAgents` is computed from the measured
 * bytes per bucket row × equivalentAgents × 288 a day, not measured.
 *
 *   npx tsx test/bench/telemetry-http.ts [agents] [heartbeat seconds] [minutes]
 *
 * Also run by `npm run bench` at BENCH_TELEMETRY_AGENTS (10,000) agents, at 30 s and at 3 s.
 */
import pg from 'pg';
import { DEFAULT_TELEMETRY_FLUSH_MS } from '../../api/config.ts';
import { startFleet } from '../../agent/sim/fleet.ts';
import { percentiles, type Percentiles } from '../../agent/sim/histogram.ts';
import { defaultOptions } from '../../agent/sim/options.ts';
import { addTotals } from '../../agent/sim/requests.ts';
import type { FleetSnapshot } from '../../agent/sim/report.ts';
import { answered } from './capacity.ts';
import { cpuBetween, sampleCpu, type CpuSample } from './cpu.ts';
import { mintTokens, startBenchServer, type BenchServer } from './fleet-server.ts';
import { ALL_CORES, PIN, loadAverage, pinProcess, pinning } from './lib.ts';
import { TELEMETRY_RELATIONS, backendTicks, telemetryTableBytes } from './telemetry-store.ts';

const PRODUCTION_HEARTBEAT_S = 30;
const GROUPS = 20;
const BUCKETS_PER_DAY = 288;
const TABLES = {
  latest: 'telemetry_latest',
  minutes: 'telemetry_component_minutes',
  agentBuckets: 'telemetry_agent_buckets',
} as const;
type Table = keyof typeof TABLES;
type PerTable = Record<Table, number>;

export interface TelemetryHttpResult {
  date: string;
  agents: number;
  groups: number;
  heartbeatSeconds: number;
  telemetryFlushMs: number;
  /** Agents at the production 30 s interval that send what this run sends. */
  equivalentAgents: number;
  measuredMinutes: number;
  /** 1/5/15-minute load averages at the start (before the server) and at the end. */
  loadAverage: { start: number[]; end: number[] };
  pinning: string;
  enrolSeconds: number;
  heartbeatsPerSecond: number;
  heartbeatMs: Percentiles;
  heartbeatsFailed: number;
  /** Measured: inserts + updates per second of wall time. */
  rowsPerSecond: PerTable;
  /** CPU seconds of the database's backends per second (share of one core): every query of the server, not only telemetry. */
  dbCpuPerSecond: number;
  cpuPercent: { server: number; simulator: number; machineBusyShare: number };
  rows: PerTable;
  bytesPerRow: PerTable;
  /** Rows added during the window, per second × 86,400 × bytes per row. */
  growthPerDayBytes: { minutes: number; agentBuckets: number; total: number };
  /** Computed for equivalentAgents: buckets × 288 a day × bytes per bucket row; minutes as measured. */
  equivalent: { agentBucketsPerDayBytes: number; totalPerDayBytes: number; latestTableBytes: number };
}

interface Mark {
  snap: FleetSnapshot;
  cpu: CpuSample;
  writes: PerTable;
  kept: PerTable;
}

const BUCKET_MS = 300_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tableWrites(raw: pg.Client): Promise<PerTable> {
  const { rows } = await raw.query<{ t: string; n: string }>(
    `SELECT r.t, sum(s.n_tup_ins + s.n_tup_upd)::bigint AS n FROM (${TELEMETRY_RELATIONS}) AS r
     JOIN pg_stat_user_tables s ON s.relid = r.oid GROUP BY r.t`,
  );
  const of = (t: string) => Number(rows.find((r) => r.t === t)?.n ?? 0);
  return { latest: of(TABLES.latest), minutes: of(TABLES.minutes), agentBuckets: of(TABLES.agentBuckets) };
}

async function rowCounts(raw: pg.Client): Promise<PerTable> {
  const count = async (t: string) => Number((await raw.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
  return {
    latest: await count(TABLES.latest),
    minutes: await count(TABLES.minutes),
    agentBuckets: await count(TABLES.agentBuckets),
  };
}

/**
 * Meter the CPU of database `name`'s backends from now on, sampled every 2 s so that a backend
 * that exits (the machine's other work sometimes ends connections) loses at most 2 s of its
 * ticks; `stop()` resolves the CPU seconds used.
 */
function meterBackends(raw: pg.Client, name: string): { stop(): Promise<number> } {
  const last = new Map<number, number>();
  let ticks = 0;
  let first = true;
  const sample = async () => {
    const now = await backendTicks(raw, name);
    for (const [pid, t] of now) if (!first) ticks += t - (last.get(pid) ?? 0);
    last.clear();
    for (const [pid, t] of now) last.set(pid, t);
    first = false;
  };
  let running = sample();
  const timer = setInterval(() => (running = running.then(sample)), 2000);
  return {
    async stop() {
      clearInterval(timer);
      await running.then(sample);
      return ticks / 100;
    },
  };
}

/** Bootstrap tokens of GROUPS groups: the server's own group and GROUPS - 1 created through GraphQL. */
async function groupTokens(server: BenchServer): Promise<string[]> {
  const tokens = [server.bootstrapTokens[0]];
  for (let g = 1; g < GROUPS; g++) {
    const data = await server.graphql<{ createGroup: { group?: { id: string }; message?: string } }>(
      `mutation ($input: CreateGroupInput!) {
        createGroup(input: $input) { ... on CreateGroupPayload { group { id } } ... on Error { message } }
      }`,
      { input: { slug: `telemetry-${g}`, name: `Telemetry ${g}` } },
    );
    if (!data.createGroup.group) throw new Error(`createGroup: ${data.createGroup.message}`);
    tokens.push(...(await mintTokens(server.graphql, data.createGroup.group.id, 1)));
  }
  return tokens;
}

/** Run `agents` simulated agents at `heartbeatSeconds` and measure `minutes`; rejects when the fleet cannot enrol. */
export async function benchTelemetryHttp(
  agents: number,
  heartbeatSeconds: number,
  minutes: number,
): Promise<TelemetryHttpResult> {
  const date = new Date().toISOString();
  const startLoad = loadAverage();
  const telemetryFlushMs = Math.round(
    (DEFAULT_TELEMETRY_FLUSH_MS * heartbeatSeconds) / PRODUCTION_HEARTBEAT_S,
  );
  const server = await startBenchServer(
    'telemetry_http',
    { FLOTILLA_TELEMETRY_FLUSH_MS: String(telemetryFlushMs) },
    1,
  );
  const raw = new pg.Client({ connectionString: server.databaseUrl });
  try {
    await raw.connect();
    const tokens = await groupTokens(server);
    // The simulator's workers inherit this process's core at fork; the server is on PIN.server.
    pinProcess(process.pid, PIN.load);
    const fleet = await startFleet({
      ...defaultOptions(server.baseUrl, tokens, agents),
      processes: 2,
      enrolConcurrency: 20,
    }).finally(() => pinProcess(process.pid, ALL_CORES));
    try {
      const enrolStart = Date.now();
      await fleet.waitFor((s) => s.agents.enrolled + s.agents.enrolFailed >= agents, 900_000);
      const enrolSeconds = Math.round((Date.now() - enrolStart) / 1000);
      process.stderr.write(`telemetry-http: ${agents} agents enrolled in ${enrolSeconds} s\n`);
      // Enrolled at the production interval (enrolment is the slow part), then compressed.
      fleet.retune({ heartbeatIntervalMs: heartbeatSeconds * 1000 });
      // Every agent sends a first sample (its baseline) and then rates. The window starts half-way
      // between two bucket boundaries and lasts whole buckets, so it holds every agent's bucket
      // closings at the boundaries inside it and exactly one minute write per minute.
      const warm = Date.now() + (2 * heartbeatSeconds + 5) * 1000;
      const windowStart = Math.ceil((warm - BUCKET_MS / 2) / BUCKET_MS) * BUCKET_MS + BUCKET_MS / 2;
      await sleep(windowStart - Date.now());
      const name = new URL(server.databaseUrl).pathname.slice(1);
      const mark = async (): Promise<Mark> => ({
        snap: fleet.snapshot(),
        cpu: await sampleCpu(server.pid),
        writes: await tableWrites(raw),
        kept: await rowCounts(raw),
      });
      const a = await mark();
      const meter = meterBackends(raw, name);
      await sleep(Math.max(1, Math.ceil(minutes / 5)) * BUCKET_MS);
      const dbCpu = await meter.stop();
      const b = await mark();
      const seconds = (b.snap.at - a.snap.at) / 1000;
      const interval = addTotals(b.snap.requests, a.snap.requests, -1);
      const cpu = cpuBetween(a.cpu, b.cpu);
      await raw.query('ANALYZE');
      const sizes = await telemetryTableBytes(raw);
      const rows = await rowCounts(raw);
      const perRow = (t: Table) => (rows[t] > 0 ? Math.round((sizes.get(TABLES[t]) ?? 0) / rows[t]) : 0);
      const bytesPerRow = {
        latest: perRow('latest'),
        minutes: perRow('minutes'),
        agentBuckets: perRow('agentBuckets'),
      };
      const rate = (t: Table) => (b.writes[t] - a.writes[t]) / seconds;
      const rowsPerSecond = {
        latest: Math.round(rate('latest')),
        minutes: Math.round(rate('minutes') * 10) / 10,
        agentBuckets: Math.round(rate('agentBuckets')),
      };
      // Rows kept, not writes: a minute row can be written more than once (an upsert adds to it).
      const kept = (t: Table) => ((b.kept[t] - a.kept[t]) / seconds) * 86_400 * bytesPerRow[t];
      const growth = { minutes: Math.round(kept('minutes')), agentBuckets: Math.round(kept('agentBuckets')) };
      const equivalentAgents = Math.round((agents * PRODUCTION_HEARTBEAT_S) / heartbeatSeconds);
      const equivalentBuckets = equivalentAgents * BUCKETS_PER_DAY * bytesPerRow.agentBuckets;
      return {
        date,
        agents,
        groups: GROUPS,
        heartbeatSeconds,
        telemetryFlushMs,
        equivalentAgents,
        measuredMinutes: Math.round((seconds / 60) * 10) / 10,
        loadAverage: { start: startLoad, end: loadAverage() },
        pinning: `${pinning}; the simulator on core ${PIN.load}, PostgreSQL unpinned`,
        enrolSeconds,
        heartbeatsPerSecond: Math.round(answered(interval, 'heartbeat') / seconds),
        heartbeatMs: percentiles(interval.latency.heartbeat ?? []),
        heartbeatsFailed: b.snap.heartbeats.failed - a.snap.heartbeats.failed,
        rowsPerSecond,
        dbCpuPerSecond: Math.round((dbCpu / seconds) * 1000) / 1000,
        cpuPercent: {
          server: cpu.serverPercent,
          simulator: Math.round((b.snap.process.cpuMicros - a.snap.process.cpuMicros) / 1e4 / seconds),
          machineBusyShare: cpu.machineBusyShare,
        },
        rows,
        bytesPerRow,
        growthPerDayBytes: { ...growth, total: growth.minutes + growth.agentBuckets },
        equivalent: {
          agentBucketsPerDayBytes: equivalentBuckets,
          totalPerDayBytes: equivalentBuckets + growth.minutes,
          latestTableBytes: equivalentAgents * bytesPerRow.latest,
        },
      };
    } finally {
      await fleet.stop();
    }
  } finally {
    await raw.end().catch(() => undefined);
    await server.stop();
  }
}

/** One line for the bench report. */
export function telemetryHttpLine(r: TelemetryHttpResult): string {
  const gb = (b: number) => `${(b / 1e9).toFixed(2)} GB`;
  return (
    `telemetry over HTTP, ${r.agents} simulated agents every ${r.heartbeatSeconds} s (as ${r.equivalentAgents} at 30 s): ` +
    `${r.heartbeatsPerSecond} heartbeats/s (p99 ${r.heartbeatMs.p99} ms), rows/s latest ${r.rowsPerSecond.latest}, ` +
    `minutes ${r.rowsPerSecond.minutes}, buckets ${r.rowsPerSecond.agentBuckets}; database CPU ` +
    `${(r.dbCpuPerSecond * 100).toFixed(1)} % of one core; bytes/row ${r.bytesPerRow.latest} / ${r.bytesPerRow.minutes} / ` +
    `${r.bytesPerRow.agentBuckets}; growth ${gb(r.growthPerDayBytes.total)} per day measured, ` +
    `${gb(r.equivalent.totalPerDayBytes)} computed for ${r.equivalentAgents} agents`
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [agents, heartbeat, minutes] = [10_000, 30, 5].map((d, i) => Number(process.argv[2 + i] ?? d));
  const result = await benchTelemetryHttp(agents, heartbeat, minutes);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n${telemetryHttpLine(result)}\n`);
}
