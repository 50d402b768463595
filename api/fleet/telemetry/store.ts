/**
 * The telemetry writes of one flush, each one statement over arrays (unnest): lock and read the
 * agents' latest samples, upsert the new ones, insert closed 5-minute buckets, add increases to
 * the minute aggregates. recordSamples runs them in one transaction, so a heartbeat's increases
 * are added exactly once or not at all.
 */
import type { FleetContext, Tx } from '../context.ts';
import type { Telemetry, TelemetryLogLine } from '../../protocol/telemetry.ts';
import { MAX_TELEMETRY_LOG_LINES } from '../../protocol/telemetry.ts';
import {
  COUNTERS,
  MINUTE_MS,
  advanceSample,
  isNewer,
  stepStart,
  type Counts,
  type OpenBucket,
  type PreviousSample,
  type SampleOutcome,
  type StoredComponent,
  type StoredCounters,
} from './rates.ts';

/** One heartbeat's telemetry, as buffered. */
export interface TelemetrySample {
  agentId: string;
  groupId: string;
  at: Date;
  telemetry: Telemetry;
}

interface LatestRow {
  agent_id: string;
  sampled_at: Date;
  counters: StoredCounters;
  components: StoredComponent[];
  logs: TelemetryLogLine[];
  bucket_start: Date;
  bucket: OpenBucket;
}

interface Written {
  sample: TelemetrySample;
  outcome: SampleOutcome;
  logs: TelemetryLogLine[];
}

interface MinuteRow {
  minute: Date;
  groupId: string;
  componentId: string;
  kind: string;
  type: string;
  counts: Counts;
}

/** `incoming` after `previous`, without repeats, the newest MAX_TELEMETRY_LOG_LINES kept. */
export function mergeLogs(
  previous: TelemetryLogLine[],
  incoming: TelemetryLogLine[] | undefined,
): TelemetryLogLine[] {
  if (!incoming || incoming.length === 0) return previous;
  const seen = new Set<string>();
  const merged: TelemetryLogLine[] = [];
  for (const line of [...previous, ...incoming]) {
    const key = `${line.time}\u0000${line.level}\u0000${line.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push(line);
  }
  merged.sort((a, b) => a.time.localeCompare(b.time));
  return merged.slice(-MAX_TELEMETRY_LOG_LINES);
}

const LATEST_SQL = `
INSERT INTO telemetry_latest AS l (agent_id, group_id, sampled_at, vector_uptime_seconds, vector_reloads,
  cpu_percent, load1, memory_used_bytes, memory_available_bytes, disk_used_bytes, disk_total_bytes,
  network_in_rate, network_out_rate, agent_rss_bytes, agent_cpu_percent, events_in_rate, events_out_rate,
  errors_rate, discarded_rate, counters, components, logs, bucket_start, bucket)
SELECT v.agent_id, v.group_id, v.sampled_at::timestamptz, v.uptime, v.reloads, v.cpu, v.load1, v.mem_used,
  v.mem_available, v.disk_used, v.disk_total, v.net_in, v.net_out, v.rss, v.agent_cpu, v.events_in, v.events_out,
  v.errors, v.discarded, v.counters::jsonb, v.components::jsonb, v.logs::jsonb, v.bucket_start::timestamptz,
  v.bucket::jsonb
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::float8[], $5::bigint[], $6::float8[], $7::float8[],
    $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::float8[], $13::float8[], $14::bigint[],
    $15::float8[], $16::float8[], $17::float8[], $18::float8[], $19::float8[], $20::text[], $21::text[],
    $22::text[], $23::text[], $24::text[])
  AS v(agent_id, group_id, sampled_at, uptime, reloads, cpu, load1, mem_used, mem_available, disk_used,
    disk_total, net_in, net_out, rss, agent_cpu, events_in, events_out, errors, discarded, counters,
    components, logs, bucket_start, bucket)
JOIN agents a ON a.id = v.agent_id
ON CONFLICT (agent_id) DO UPDATE SET
  group_id = excluded.group_id, sampled_at = excluded.sampled_at,
  vector_uptime_seconds = excluded.vector_uptime_seconds, vector_reloads = excluded.vector_reloads,
  cpu_percent = excluded.cpu_percent, load1 = excluded.load1, memory_used_bytes = excluded.memory_used_bytes,
  memory_available_bytes = excluded.memory_available_bytes, disk_used_bytes = excluded.disk_used_bytes,
  disk_total_bytes = excluded.disk_total_bytes, network_in_rate = excluded.network_in_rate,
  network_out_rate = excluded.network_out_rate, agent_rss_bytes = excluded.agent_rss_bytes,
  agent_cpu_percent = excluded.agent_cpu_percent, events_in_rate = excluded.events_in_rate,
  events_out_rate = excluded.events_out_rate, errors_rate = excluded.errors_rate,
  discarded_rate = excluded.discarded_rate, counters = excluded.counters, components = excluded.components,
  logs = excluded.logs, bucket_start = excluded.bucket_start, bucket = excluded.bucket
WHERE l.sampled_at < excluded.sampled_at`;

const BUCKETS_SQL = `
INSERT INTO telemetry_agent_buckets (bucket, agent_id, group_id, samples, cpu_percent, memory_used_bytes,
  memory_available_bytes, disk_used_bytes, disk_total_bytes, events_in, events_out, errors, discarded, components)
SELECT v.bucket::timestamptz, v.agent_id, v.group_id, v.samples, v.cpu, v.mem_used, v.mem_available,
  v.disk_used, v.disk_total, v.events_in, v.events_out, v.errors, v.discarded, v.components::jsonb
FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::int[], $5::float8[], $6::bigint[], $7::bigint[],
    $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[])
  AS v(bucket, agent_id, group_id, samples, cpu, mem_used, mem_available, disk_used, disk_total, events_in,
    events_out, errors, discarded, components)
ON CONFLICT (agent_id, bucket) DO NOTHING`;

const MINUTES_SQL = `
INSERT INTO telemetry_component_minutes AS m (minute, group_id, component_id, kind, type, events_in, events_out,
  bytes_in, bytes_out, errors, discarded)
SELECT v.minute::timestamptz, v.group_id, v.component_id, v.kind, v.type, v.events_in, v.events_out, v.bytes_in,
  v.bytes_out, v.errors, v.discarded
FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[],
    $9::bigint[], $10::bigint[], $11::bigint[])
  AS v(minute, group_id, component_id, kind, type, events_in, events_out, bytes_in, bytes_out, errors, discarded)
ON CONFLICT (group_id, minute, component_id) DO UPDATE SET
  kind = excluded.kind, type = excluded.type,
  events_in = m.events_in + excluded.events_in, events_out = m.events_out + excluded.events_out,
  bytes_in = m.bytes_in + excluded.bytes_in, bytes_out = m.bytes_out + excluded.bytes_out,
  errors = m.errors + excluded.errors, discarded = m.discarded + excluded.discarded`;

async function lockLatest(tx: Tx, agentIds: string[]): Promise<Map<string, LatestRow>> {
  const rows = await tx.$queryRawUnsafe<LatestRow[]>(
    `SELECT agent_id, sampled_at, counters, components, logs, bucket_start, bucket FROM telemetry_latest
     WHERE agent_id = ANY($1::uuid[]) ORDER BY agent_id FOR UPDATE`,
    agentIds,
  );
  return new Map(rows.map((r) => [r.agent_id, r]));
}

function previousOf(row: LatestRow | undefined): PreviousSample | null {
  if (!row) return null;
  return {
    sampledAt: row.sampled_at,
    counters: row.counters,
    components: row.components,
    bucketStart: row.bucket_start,
    bucket: row.bucket,
  };
}

async function upsertLatest(tx: Tx, written: Written[]): Promise<void> {
  const col = <T>(f: (w: Written) => T) => written.map(f);
  const host = (w: Written) => w.sample.telemetry.host ?? {};
  await tx.$executeRawUnsafe(
    LATEST_SQL,
    col((w) => w.sample.agentId),
    col((w) => w.sample.groupId),
    col((w) => w.sample.at.toISOString()),
    col((w) => w.sample.telemetry.vector?.uptimeSeconds ?? null),
    col((w) => w.sample.telemetry.vector?.reloads ?? null),
    col((w) => host(w).cpuPercent ?? null),
    col((w) => host(w).load1 ?? null),
    col((w) => host(w).memoryUsedBytes ?? null),
    col((w) => host(w).memoryAvailableBytes ?? null),
    col((w) => host(w).diskUsedBytes ?? null),
    col((w) => host(w).diskTotalBytes ?? null),
    col((w) => w.outcome.rates.networkIn),
    col((w) => w.outcome.rates.networkOut),
    col((w) => host(w).agentRssBytes ?? null),
    col((w) => w.outcome.rates.agentCpuPercent),
    col((w) => w.outcome.rates.eventsIn),
    col((w) => w.outcome.rates.eventsOut),
    col((w) => w.outcome.rates.errors),
    col((w) => w.outcome.rates.discarded),
    col((w) => JSON.stringify(w.outcome.counters)),
    col((w) => JSON.stringify(w.outcome.components)),
    col((w) => JSON.stringify(w.logs)),
    col((w) => w.outcome.bucketStart.toISOString()),
    col((w) => JSON.stringify(w.outcome.bucket)),
  );
}

async function insertBuckets(
  tx: Tx,
  closed: { agentId: string; groupId: string; start: Date; bucket: OpenBucket }[],
): Promise<void> {
  if (closed.length === 0) return;
  const col = <T>(f: (c: (typeof closed)[number]) => T) => closed.map(f);
  await tx.$executeRawUnsafe(
    BUCKETS_SQL,
    col((c) => c.start.toISOString()),
    col((c) => c.agentId),
    col((c) => c.groupId),
    col((c) => c.bucket.samples),
    col((c) => (c.bucket.cpuSamples > 0 ? c.bucket.cpuSum / c.bucket.cpuSamples : null)),
    col((c) => c.bucket.memoryUsedBytes),
    col((c) => c.bucket.memoryAvailableBytes),
    col((c) => c.bucket.diskUsedBytes),
    col((c) => c.bucket.diskTotalBytes),
    col((c) => c.bucket.totals.eventsIn),
    col((c) => c.bucket.totals.eventsOut),
    col((c) => c.bucket.totals.errors),
    col((c) => c.bucket.totals.discarded),
    col((c) => JSON.stringify(c.bucket.components)),
  );
}

async function addMinutes(tx: Tx, rows: MinuteRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(f: (r: MinuteRow) => T) => rows.map(f);
  await tx.$executeRawUnsafe(
    MINUTES_SQL,
    col((r) => r.minute.toISOString()),
    col((r) => r.groupId),
    col((r) => r.componentId),
    col((r) => r.kind),
    col((r) => r.type),
    ...COUNTERS.map((name) => col((r) => r.counts[name])),
  );
}

/**
 * Record a batch of samples (at most one per agent) in one transaction: each agent's latest row
 * is locked, the sample folded into it (rates.ts), closed buckets newer than `keepBucketsFrom`
 * inserted and the increases added to the minute aggregates (rows in key order, so concurrent
 * replicas lock them in the same order). Samples not newer than the stored one are skipped.
 * Resolves the samples written; rejects (writing nothing) when the database fails, e.g. with
 * SQLSTATE 23514 when a partition is missing.
 */
export async function recordSamples(
  ctx: FleetContext,
  samples: TelemetrySample[],
  keepBucketsFrom: Date,
): Promise<TelemetrySample[]> {
  const sorted = [...samples].sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
  return ctx.db.$transaction(
    async (tx) => {
      const latest = await lockLatest(
        tx,
        sorted.map((s) => s.agentId),
      );
      const written: Written[] = [];
      const closed: { agentId: string; groupId: string; start: Date; bucket: OpenBucket }[] = [];
      const minutes = new Map<string, MinuteRow>();
      for (const sample of sorted) {
        const row = latest.get(sample.agentId);
        const previous = previousOf(row);
        if (!isNewer(previous, sample.at)) continue;
        const outcome = advanceSample(previous, sample.telemetry, sample.at);
        written.push({ sample, outcome, logs: mergeLogs(row?.logs ?? [], sample.telemetry.logs) });
        if (outcome.closed && outcome.closed.start >= keepBucketsFrom)
          closed.push({ agentId: sample.agentId, groupId: sample.groupId, ...outcome.closed });
        const minute = stepStart(sample.at, MINUTE_MS);
        for (const inc of outcome.increases) {
          if (COUNTERS.every((name) => inc.counts[name] === 0)) continue;
          const key = `${sample.groupId} ${minute.toISOString()} ${inc.id}`;
          const sum = minutes.get(key);
          if (!sum)
            minutes.set(key, {
              minute,
              groupId: sample.groupId,
              componentId: inc.id,
              kind: inc.kind,
              type: inc.type,
              counts: { ...inc.counts },
            });
          else for (const name of COUNTERS) sum.counts[name] += inc.counts[name];
        }
      }
      if (written.length > 0) await upsertLatest(tx, written);
      await insertBuckets(tx, closed);
      await addMinutes(
        tx,
        [...minutes.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => r),
      );
      return written.map((w) => w.sample);
    },
    { timeout: 30_000, maxWait: 30_000 },
  );
}
