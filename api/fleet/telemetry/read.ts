/**
 * Reading telemetry: an agent's latest sample and 5-minute history, group or fleet throughput per
 * minute, per-component live rates and aggregates over a window, and the fleet's top lists. Used
 * by GraphQL and by alert rules; every function is one query and rejects only when the database
 * fails. "Live" values come from agents whose sample is newer than the offline threshold.
 */
import { Prisma } from '../../generated/prisma/client.ts';
import type { FleetContext } from '../context.ts';
import type { ComponentKind, TelemetryLogLine } from '../../protocol/telemetry.ts';
import { onlineSince } from '../agent-status.ts';
import {
  BUCKET_MS,
  COUNTERS,
  MINUTE_MS,
  type AgentCounts,
  type Counts,
  type OpenBucket,
  type StoredComponent,
} from './rates.ts';
import { AGENT_COUNTS, componentSets, decodeBucket, decodeComponents } from './codec.ts';

/** A history bucket's per-component array as AgentCounts by component id. */
function historyCounts(flat: number[], ids: string[]): Record<string, AgentCounts> {
  return Object.fromEntries(
    ids.map((id, i) => [
      id,
      Object.fromEntries(
        AGENT_COUNTS.map((name, k) => [name, Number(flat[i * AGENT_COUNTS.length + k] ?? 0)]),
      ) as unknown as AgentCounts,
    ]),
  );
}

/** The latest sample of an agent, as stored. Rates are per second (null: baseline sample). */
export interface LatestTelemetry {
  agentId: string;
  groupId: string;
  sampledAt: Date;
  vectorUptimeSeconds: number | null;
  vectorReloads: number | null;
  cpuPercent: number | null;
  load1: number | null;
  memoryUsedBytes: number | null;
  memoryAvailableBytes: number | null;
  diskUsedBytes: number | null;
  diskTotalBytes: number | null;
  networkInRate: number | null;
  networkOutRate: number | null;
  agentRssBytes: number | null;
  agentCpuPercent: number | null;
  eventsInRate: number | null;
  eventsOutRate: number | null;
  errorsRate: number | null;
  discardedRate: number | null;
  components: StoredComponent[];
  logs: TelemetryLogLine[];
}

const LATEST_COLUMNS = Prisma.raw(`agent_id AS "agentId", group_id AS "groupId", sampled_at AS "sampledAt",
  vector_uptime_seconds AS "vectorUptimeSeconds", vector_reloads::float8 AS "vectorReloads",
  cpu_percent AS "cpuPercent", load1, memory_used_bytes::float8 AS "memoryUsedBytes",
  memory_available_bytes::float8 AS "memoryAvailableBytes", disk_used_bytes::float8 AS "diskUsedBytes",
  disk_total_bytes::float8 AS "diskTotalBytes", network_in_rate AS "networkInRate",
  network_out_rate AS "networkOutRate", agent_rss_bytes::float8 AS "agentRssBytes",
  agent_cpu_percent AS "agentCpuPercent", events_in_rate AS "eventsInRate", events_out_rate AS "eventsOutRate",
  errors_rate AS "errorsRate", discarded_rate AS "discardedRate", component_set AS "componentSet", totals, rates,
  buffers, logs`);

type LatestRow = Omit<LatestTelemetry, 'components'> & {
  componentSet: number;
  totals: number[] | null;
  rates: number[] | null;
  buffers: number[] | null;
};

/** Latest rows with their components decoded (codec.ts). */
export async function decodeLatest<
  T extends {
    componentSet: number;
    totals: number[] | null;
    rates: number[] | null;
    buffers: number[] | null;
  },
>(
  ctx: FleetContext,
  rows: T[],
): Promise<(Omit<T, 'componentSet' | 'totals' | 'rates' | 'buffers'> & { components: StoredComponent[] })[]> {
  const sets = await componentSets(
    ctx,
    rows.map((r) => r.componentSet),
  );
  return rows.map(({ componentSet, totals, rates, buffers, ...rest }) => {
    const set = sets.get(componentSet);
    return {
      ...rest,
      components: set ? decodeComponents(set, (totals ?? []).map(Number), rates, buffers) : [],
    };
  });
}

/**
 * Latest samples of the agents in `scope` (ids, a group, or the whole fleet), only those sampled
 * at or after `since` when given. For alert rules: "disk above Z %", "component errors above X".
 */
export async function latestTelemetry(
  ctx: FleetContext,
  scope: { agentIds?: string[]; groupId?: string; since?: Date },
): Promise<LatestTelemetry[]> {
  const where: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (scope.agentIds) where.push(Prisma.sql`agent_id = ANY(${scope.agentIds}::uuid[])`);
  if (scope.groupId) where.push(Prisma.sql`group_id = ${scope.groupId}::uuid`);
  if (scope.since) where.push(Prisma.sql`sampled_at >= ${scope.since}`);
  const rows = await ctx.db.$queryRaw<LatestRow[]>`
    SELECT ${LATEST_COLUMNS} FROM telemetry_latest WHERE ${Prisma.join(where, ' AND ')}`;
  return decodeLatest(ctx, rows);
}

/** One step of an agent's history: gauges, and counts per second over the step. */
export interface AgentPoint {
  at: Date;
  cpuPercent: number | null;
  memoryUsedBytes: number | null;
  memoryAvailableBytes: number | null;
  diskUsedBytes: number | null;
  diskTotalBytes: number | null;
  rates: AgentCounts;
  components: ({ id: string } & AgentCounts)[];
}

function perSecond(counts: AgentCounts, seconds: number): AgentCounts {
  const s = Math.max(seconds, 1);
  return {
    eventsIn: counts.eventsIn / s,
    eventsOut: counts.eventsOut / s,
    errors: counts.errors / s,
    discarded: counts.discarded / s,
  };
}

function point(
  at: Date,
  seconds: number,
  b: Omit<OpenBucket, 'samples' | 'cpuSum' | 'cpuSamples'> & { cpu: number | null },
): AgentPoint {
  return {
    at,
    cpuPercent: b.cpu,
    memoryUsedBytes: b.memoryUsedBytes,
    memoryAvailableBytes: b.memoryAvailableBytes,
    diskUsedBytes: b.diskUsedBytes,
    diskTotalBytes: b.diskTotalBytes,
    rates: perSecond(b.totals, seconds),
    components: Object.entries(b.components)
      .map(([id, counts]) => ({ id, ...perSecond(counts, seconds) }))
      .sort((x, y) => x.id.localeCompare(y.id)),
  };
}

/**
 * The 5-minute steps of agent `agentId` that end after `since`, oldest first; the last one is the open
 * step (rates over the part of it that passed). Empty for an agent without telemetry.
 */
export async function agentHistory(ctx: FleetContext, agentId: string, since: Date): Promise<AgentPoint[]> {
  const now = ctx.clock();
  const [closed, open] = await Promise.all([
    ctx.db.$queryRaw<
      {
        bucket: Date;
        cpu: number | null;
        mu: number | null;
        ma: number | null;
        du: number | null;
        dt: number | null;
        ei: number;
        eo: number;
        er: number;
        di: number;
        set: number;
        components: number[] | null;
      }[]
    >`SELECT bucket, cpu_percent::float8 AS cpu, memory_used_bytes::float8 AS mu, memory_available_bytes::float8 AS ma,
        disk_used_bytes::float8 AS du, disk_total_bytes::float8 AS dt, events_in::float8 AS ei,
        events_out::float8 AS eo, errors::float8 AS er, discarded::float8 AS di, component_set AS set, components
      FROM telemetry_agent_buckets WHERE agent_id = ${agentId}::uuid AND bucket > ${stepBefore(since, BUCKET_MS)}
      ORDER BY bucket`,
    ctx.db.$queryRaw<{ bucket_start: Date; set: number; bucket: number[] | null }[]>`
      SELECT bucket_start, component_set AS set, bucket FROM telemetry_latest
      WHERE agent_id = ${agentId}::uuid AND bucket_start > ${stepBefore(since, BUCKET_MS)}`,
  ]);
  const sets = await componentSets(ctx, [...closed.map((r) => r.set), ...open.map((r) => r.set)]);
  const idsOf = (set: number) => sets.get(set)?.ids ?? [];
  const points = closed.map((r) =>
    point(r.bucket, BUCKET_MS / 1000, {
      cpu: r.cpu,
      memoryUsedBytes: r.mu,
      memoryAvailableBytes: r.ma,
      diskUsedBytes: r.du,
      diskTotalBytes: r.dt,
      totals: { eventsIn: r.ei, eventsOut: r.eo, errors: r.er, discarded: r.di },
      components: historyCounts(r.components ?? [], idsOf(r.set)),
    }),
  );
  for (const { bucket_start: start, set, bucket } of open) {
    const b = decodeBucket((bucket ?? []).map(Number), idsOf(set));
    const seconds = Math.min(BUCKET_MS, now.getTime() - start.getTime()) / 1000;
    points.push(point(start, seconds, { ...b, cpu: b.cpuSamples > 0 ? b.cpuSum / b.cpuSamples : null }));
  }
  return points;
}

/** One minute of a group (or the fleet): events in (sources), out (sinks), errors, discarded, per second. */
export interface ThroughputPoint {
  minute: Date;
  eventsIn: number;
  eventsOut: number;
  errors: number;
  discarded: number;
}

/** `at` minus one step: a step starting after it ends after `at` (so the step holding `at` is included). */
const stepBefore = (at: Date, stepMs: number) => new Date(at.getTime() - stepMs);

const groupFilter = (groupId: string | null) =>
  groupId ? Prisma.sql`AND group_id = ${groupId}::uuid` : Prisma.empty;

/**
 * Minutes of group `groupId` (null: the whole fleet) that end after `since`, oldest first; minutes
 * without traffic are absent.
 */
export async function throughput(
  ctx: FleetContext,
  groupId: string | null,
  since: Date,
): Promise<ThroughputPoint[]> {
  return ctx.db.$queryRaw<ThroughputPoint[]>`
    SELECT minute,
      (sum(events_in) FILTER (WHERE kind = 'source'))::float8 / ${MINUTE_MS / 1000} AS "eventsIn",
      (sum(events_out) FILTER (WHERE kind = 'sink'))::float8 / ${MINUTE_MS / 1000} AS "eventsOut",
      sum(errors)::float8 / ${MINUTE_MS / 1000} AS errors,
      sum(discarded)::float8 / ${MINUTE_MS / 1000} AS discarded
    FROM telemetry_component_minutes WHERE minute > ${stepBefore(since, MINUTE_MS)} ${groupFilter(groupId)}
    GROUP BY minute ORDER BY minute`.then((rows) =>
    rows.map((r) => ({ ...r, eventsIn: r.eventsIn ?? 0, eventsOut: r.eventsOut ?? 0 })),
  );
}

/** A component of a group with its counts summed over a window (for alerts and top lists). */
export interface ComponentWindow {
  groupId: string;
  componentId: string;
  kind: ComponentKind;
  type: string;
  counts: Counts;
}

/**
 * Each component's increases summed per group (groupId null: every group) over the minutes that
 * end after `since` and start before `until`, from the minute aggregates. For alert rules: "events discarded above Y", "error rate above X".
 */
export async function componentWindow(
  ctx: FleetContext,
  options: { groupId: string | null; since: Date; until?: Date },
): Promise<ComponentWindow[]> {
  const until = options.until ? Prisma.sql`AND minute < ${options.until}` : Prisma.empty;
  const rows = await ctx.db.$queryRaw<(Omit<ComponentWindow, 'counts'> & Counts)[]>`
    SELECT group_id AS "groupId", component_id AS "componentId", max(kind) AS kind, max(type) AS type,
      sum(events_in)::float8 AS "eventsIn", sum(events_out)::float8 AS "eventsOut", sum(bytes_in)::float8 AS "bytesIn",
      sum(bytes_out)::float8 AS "bytesOut", sum(errors)::float8 AS errors, sum(discarded)::float8 AS discarded
    FROM telemetry_component_minutes WHERE minute > ${stepBefore(options.since, MINUTE_MS)} ${until} ${groupFilter(options.groupId)}
    GROUP BY group_id, component_id ORDER BY group_id, component_id`;
  return rows.map(({ groupId, componentId, kind, type, ...counts }) => ({
    groupId,
    componentId,
    kind,
    type,
    counts,
  }));
}

/** A component's rates now, summed over the group's online agents (for the pipeline graph). */
export interface ComponentRates {
  componentId: string;
  kind: ComponentKind;
  type: string;
  agents: number;
  rates: Counts;
}

/** Live per-component rates of group `groupId`, from the latest samples of its online agents. */
export async function componentLiveRates(ctx: FleetContext, groupId: string): Promise<ComponentRates[]> {
  const rate = (k: number) =>
    Prisma.raw(`coalesce(sum(t.rates[(i - 1) * ${COUNTERS.length} + ${k + 1}]), 0)::float8`);
  const rows = await ctx.db.$queryRaw<(Omit<ComponentRates, 'rates'> & Counts)[]>`
    SELECT s.ids[i] AS "componentId", max(s.kinds[i]) AS kind, max(s.types[i]) AS type, count(*)::int AS agents,
      ${rate(0)} AS "eventsIn", ${rate(1)} AS "eventsOut", ${rate(2)} AS "bytesIn", ${rate(3)} AS "bytesOut",
      ${rate(4)} AS errors, ${rate(5)} AS discarded
    FROM telemetry_latest t JOIN telemetry_component_sets s ON s.id = t.component_set,
      generate_subscripts(s.ids, 1) AS i
    WHERE t.group_id = ${groupId}::uuid AND t.sampled_at >= ${onlineSince(ctx.clock(), ctx.tuning.current.offlineAfterMs)}
    GROUP BY 1 ORDER BY 1`;
  return rows.map(({ componentId, kind, type, agents, ...rates }) => ({
    componentId,
    kind,
    type,
    agents,
    rates,
  }));
}

/** An agent with its error and discard rates now. */
export interface AgentErrors {
  agentId: string;
  hostname: string;
  groupId: string;
  errorsRate: number;
  discardedRate: number;
}

/** The online agents with the most errors per second now (only those with errors), at most `limit`. */
export async function topAgentsByErrors(ctx: FleetContext, limit: number): Promise<AgentErrors[]> {
  return ctx.db.$queryRaw<AgentErrors[]>`
    SELECT t.agent_id AS "agentId", a.hostname, t.group_id AS "groupId", t.errors_rate AS "errorsRate",
      coalesce(t.discarded_rate, 0) AS "discardedRate"
    FROM telemetry_latest t JOIN agents a ON a.id = t.agent_id
    WHERE t.sampled_at >= ${onlineSince(ctx.clock(), ctx.tuning.current.offlineAfterMs)} AND t.errors_rate > 0 AND a.revoked_at IS NULL
    ORDER BY t.errors_rate DESC, a.hostname LIMIT ${limit}`;
}

/** The components (per group) that discarded the most events since `since`, at most `limit`. */
export async function topComponentsByDiscarded(
  ctx: FleetContext,
  since: Date,
  limit: number,
): Promise<ComponentWindow[]> {
  const rows = await componentWindow(ctx, { groupId: null, since });
  return rows
    .filter((r) => r.counts.discarded > 0)
    .sort((a, b) => b.counts.discarded - a.counts.discarded || a.componentId.localeCompare(b.componentId))
    .slice(0, limit);
}
