/**
 * Telemetry storage at fleet scale: the database work and growth of AGENTS agents × 10 components
 * heartbeating every 30 s. A fresh PostgreSQL database gets the agents (rows inserted in bulk, no
 * enrolment), then `MINUTES` minutes of fleet time are replayed flush by flush: every
 * DEFAULT_TELEMETRY_FLUSH_MS (FLOTILLA_TELEMETRY_FLUSH_MS's default) the agents whose heartbeat falls in that window hand in one
 * sample (advancing counters, 0.2 % Vector restarts, host metrics, now and then a log line) and
 * one replica's TelemetryStore writes them in the server's slices, then the minutes that are over,
 * as the server's flush does. Reported: database seconds per second of
 * fleet time, rows written per second, bytes per row of each table, and the growth per day.
 *
 *   npx tsx test/bench/telemetry-store.ts [agents] [minutes]
 *
 * Also run by `npm run bench` at 10,000 agents (BENCH_TELEMETRY_AGENTS).
 */
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { DEFAULT_TELEMETRY_FLUSH_MS } from '../../api/config.ts';
import { openDb } from '../../api/db.ts';
import { applyMigrations } from '../../api/migrations.ts';
import { createLocalBus } from '../../api/fleet/events.ts';
import { createFleetContext } from '../../api/fleet/context.ts';
import { ensurePartitions } from '../../api/fleet/telemetry/partitions.ts';
import { TelemetryStore, type TelemetrySample } from '../../api/fleet/telemetry/store.ts';
import { FLUSH_SLICE_SAMPLES } from '../../api/fleet/telemetry/ingest.ts';
import { MINUTE_MS, stepStart } from '../../api/fleet/telemetry/rates.ts';
import { SIM_PIPELINE, SimTelemetry } from '../../agent/sim/telemetry.ts';

const ADMIN_URL = process.env.FLOTILLA_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const HEARTBEAT_S = 30;
const FLUSH_S = DEFAULT_TELEMETRY_FLUSH_MS / 1000;
const GROUPS = 20;
export interface TelemetryBenchResult {
  agents: number;
  components: number;
  fleetMinutes: number;
  heartbeatsPerSecond: number;
  /** Database wall time per second of fleet time (1.0 = one connection busy all the time). */
  dbSecondsPerSecond: number;
  /** CPU seconds of the database's own backends per second of fleet time (share of one core). */
  dbCpuPerSecond: number;
  flushMs: { median: number; max: number };
  /**
   * The longest the flushes kept the event loop from anything else (a heartbeat waiting for its
   * answer): Node's event-loop delay over the measured flushes, p99 and max, in ms.
   */
  loopDelayMs: { p99: number; max: number };
  rowsPerSecond: { latest: number; minutes: number; agentBuckets: number };
  bytesPerRow: { latest: number; minutes: number; agentBuckets: number };
  growthPerDayBytes: { minutes: number; agentBuckets: number; total: number };
  latestTableBytes: number;
}

/** The three telemetry tables with their partitions: rows (t: table, oid: one relation of it). */
export const TELEMETRY_RELATIONS = `
  SELECT v.t, c.oid
  FROM (VALUES ('telemetry_latest'), ('telemetry_component_minutes'), ('telemetry_agent_buckets')) AS v(t)
  JOIN pg_class c ON c.relname = v.t OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = v.t::regclass)`;

/**
 * Bytes of each telemetry table with its indexes and TOAST (`pg_total_relation_size`), counting only
 * partitions that hold rows; run ANALYZE first. Keyed by table name.
 */
export async function telemetryTableBytes(raw: pg.Client): Promise<Map<string, number>> {
  const { rows } = await raw.query<{ t: string; bytes: string }>(
    `SELECT t, sum(pg_total_relation_size(oid))::bigint AS bytes FROM (${TELEMETRY_RELATIONS}) AS r
     WHERE pg_relation_size(oid) > 0 GROUP BY t`,
  );
  return new Map(rows.map((r) => [r.t, Number(r.bytes)]));
}

/**
 * CPU ticks (user + system, 1/100 s) used so far by each server process serving database `name`, by
 * pid, read from /proc (PostgreSQL on this machine; empty when it runs elsewhere). The caller's own
 * connection counts too.
 */
export async function backendTicks(raw: pg.Client, name: string): Promise<Map<number, number>> {
  const { rows } = await raw.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
    name,
  ]);
  const ticks = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // Not on this machine, or the connection ended.
    }
  }
  return ticks;
}

async function backendCpuSeconds(raw: pg.Client, name: string): Promise<number> {
  return [...(await backendTicks(raw, name)).values()].reduce((a, b) => a + b, 0) / 100;
}

/** Replay `minutes` of fleet time for `agents` agents; rejects when PostgreSQL is unreachable. */
export async function benchTelemetryStore(agents: number, minutes: number): Promise<TelemetryBenchResult> {
  const name = `flotilla_bench_telemetry_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openDb({ kind: 'postgres', url: url.toString() });
  try {
    await applyMigrations(db);
    const groupIds = Array.from({ length: GROUPS }, () => crypto.randomUUID());
    const agentIds = Array.from({ length: agents }, () => crypto.randomUUID());
    const raw = new pg.Client({ connectionString: url.toString() });
    await raw.connect();
    await raw.query(
      `INSERT INTO groups (id, slug, name, updated_at) SELECT id, 'g-' || ord, 'g', now() FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, ord)`,
      [groupIds],
    );
    await raw.query(
      `INSERT INTO agents (id, group_id, token_hash, hostname, platform, os, kernel, agent_version, vector_version, updated_at)
       SELECT id, ($2::uuid[])[1 + ord % ${GROUPS}], md5(id::text), 'h-' || ord, 'linux', 'x', 'x', '0.1.0', '0.58.0', now()
       FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, ord)`,
      [agentIds, groupIds],
    );
    let seed = 42;
    const rng = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    // A minute before a 5-minute boundary, so closed agent buckets are written early in the run.
    const start = new Date(Math.ceil(Date.now() / 300_000) * 300_000 + 240_000);
    let now = start;
    const ctx = createFleetContext({
      config: {
        actionTtlMs: 3_600_000,
        retention: { actionsDays: 90, auditDays: 365, revokedAgentsDays: 30, diagnosticsDays: 14 },
        publicUrl: undefined,
        secretKeys: undefined,
      },
      db,
      events: createLocalBus(),
      clock: () => now,
    });
    await ensurePartitions(ctx, start, { minuteRetentionDays: 14, agentRetentionDays: 3 });
    const sims = agentIds.map((_, i) => new SimTelemetry(i, start.getTime() - 3_600_000, rng));
    const phase = agentIds.map(() => Math.floor(rng() * HEARTBEAT_S));
    const flushes: number[] = [];
    let cpuAtStart: number | null = null;
    const store = new TelemetryStore(ctx);
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    // One warm-up round so every agent has a baseline, as in a running fleet.
    for (let f = 0; f < (minutes * 60) / FLUSH_S + HEARTBEAT_S / FLUSH_S; f++) {
      now = new Date(start.getTime() + (f * FLUSH_S - HEARTBEAT_S) * 1000);
      const window = (f * FLUSH_S) % HEARTBEAT_S;
      const batch: TelemetrySample[] = [];
      for (let i = 0; i < agents; i++) {
        if (phase[i] < window || phase[i] >= window + FLUSH_S) continue;
        batch.push({
          agentId: agentIds[i],
          groupId: groupIds[(i + 1) % GROUPS],
          at: now,
          telemetry: sims[i].sample(now.getTime()),
        });
      }
      if (now >= start && cpuAtStart === null) {
        cpuAtStart = await backendCpuSeconds(raw, name);
        loopDelay.enable();
      }
      const t0 = performance.now();
      // In the server's slices (ingest.ts), each its own transaction.
      for (let from = 0; from < batch.length; from += FLUSH_SLICE_SAMPLES)
        await store.record(
          batch.slice(from, from + FLUSH_SLICE_SAMPLES),
          new Date(start.getTime() - 86_400_000),
        );
      await store.minutes.write(ctx, stepStart(now, MINUTE_MS));
      if (now >= start) flushes.push(performance.now() - t0);
    }
    loopDelay.disable();
    const dbCpu = (await backendCpuSeconds(raw, name)) - (cpuAtStart ?? 0);
    await raw.query('ANALYZE');
    // Bytes of each table with its indexes and TOAST, counting only partitions that hold rows.
    const sizes = await telemetryTableBytes(raw);
    const rowCount = async (table: string) =>
      Number((await raw.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
    const latestRows = await rowCount('telemetry_latest');
    const minuteRows = await rowCount(`telemetry_component_minutes WHERE minute >= '${start.toISOString()}'`);
    const allMinuteRows = await rowCount('telemetry_component_minutes');
    const bucketRows = await rowCount('telemetry_agent_buckets');
    await raw.end();
    const size = (t: string) => sizes.get(t) ?? 0;
    const perRow = (t: string, rows: number) => (rows > 0 ? Math.round(size(t) / rows) : 0);
    const fleetSeconds = minutes * 60;
    const sorted = [...flushes].sort((a, b) => a - b);
    const bytesPerRow = {
      latest: perRow('telemetry_latest', latestRows),
      minutes: perRow('telemetry_component_minutes', allMinuteRows),
      agentBuckets: perRow('telemetry_agent_buckets', bucketRows),
    };
    const minutesPerDay = (minuteRows / minutes) * 1440;
    const bucketsPerDay = agents * 288;
    const growth = {
      minutes: Math.round(minutesPerDay * bytesPerRow.minutes),
      agentBuckets: Math.round(bucketsPerDay * bytesPerRow.agentBuckets),
    };
    return {
      agents,
      components: SIM_PIPELINE.length,
      fleetMinutes: minutes,
      heartbeatsPerSecond: agents / HEARTBEAT_S,
      dbSecondsPerSecond: flushes.reduce((a, b) => a + b, 0) / 1000 / fleetSeconds,
      dbCpuPerSecond: dbCpu / fleetSeconds,
      loopDelayMs: {
        p99: Math.round(loopDelay.percentile(99) / 1e6),
        max: Math.round(loopDelay.max / 1e6),
      },
      flushMs: {
        median: Math.round(sorted[Math.floor(sorted.length / 2)]),
        max: Math.round(sorted.at(-1) ?? 0),
      },
      rowsPerSecond: {
        latest: agents / HEARTBEAT_S,
        minutes: Math.round(minuteRows / fleetSeconds),
        agentBuckets: Math.round(bucketsPerDay / 86_400),
      },
      bytesPerRow,
      growthPerDayBytes: { ...growth, total: growth.minutes + growth.agentBuckets },
      latestTableBytes: size('telemetry_latest'),
    };
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** One line for the bench report. */
export function telemetryLine(r: TelemetryBenchResult): string {
  const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
  return (
    `telemetry storage, ${r.agents} agents × ${r.components} components every 30 s: ` +
    `${r.dbSecondsPerSecond.toFixed(2)} database seconds per second (flush median ${r.flushMs.median} ms, ` +
    `event loop held up to ${r.loopDelayMs.max} ms), ` +
    `database CPU ${(r.dbCpuPerSecond * 100).toFixed(1)} % of one core, ` +
    `${mb(r.growthPerDayBytes.total)} per day (minutes ${mb(r.growthPerDayBytes.minutes)}, agent buckets ${mb(r.growthPerDayBytes.agentBuckets)}), ` +
    `latest ${mb(r.latestTableBytes)}`
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const agents = Number(process.argv[2] ?? 10_000);
  const minutes = Number(process.argv[3] ?? 10);
  process.stdout.write(`${JSON.stringify(await benchTelemetryStore(agents, minutes), null, 2)}\n`);
}
