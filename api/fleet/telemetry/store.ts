/**
 * The telemetry writes of one replica. Each flush is one transaction: the agents' new latest rows
 * (one narrow row per agent: numeric arrays, codec.ts) are written with a compare-and-set on the
 * stored `sampled_at` this replica last saw, so no read is needed when it saw the agent's previous
 * heartbeat itself; rows another replica advanced meanwhile are read under a row lock and folded
 * again. Closed 5-minute buckets go to the history in the same transaction. The increases of the
 * rows written go to this replica's in-memory minute sums (minutes.ts) after the commit. Since a
 * row only moves from the sample its increases were computed against, each heartbeat is counted
 * exactly once across replicas.
 */
import type { FleetContext, Tx } from '../context.ts';
import type { Telemetry, TelemetryLogLine } from '../../protocol/telemetry.ts';
import { MAX_TELEMETRY_LOG_LINES } from '../../protocol/telemetry.ts';
import { advanceSample, isNewer, type PreviousSample, type SampleOutcome } from './rates.ts';
import {
  arrayLiteral,
  columnLiteral,
  literalsColumn,
  componentSets,
  decodeBucket,
  decodeComponents,
  encodeBucket,
  encodeComponents,
  historyComponents,
  resolveSets,
  setKey,
  type ComponentSet,
} from './codec.ts';
import { MinuteSums } from './minutes.ts';
import { TRANSACTION_LIMITS } from '../transaction.ts';
import { BUCKETS_SQL, LATEST_SQL, STATE_SQL } from './store-sql.ts';

/** One heartbeat's telemetry, as buffered. */
export interface TelemetrySample {
  agentId: string;
  groupId: string;
  at: Date;
  telemetry: Telemetry;
}

/** What a replica knows of an agent's stored latest row (enough to fold the next sample into it). */
interface StoredState {
  sampledAt: Date;
  set: ComponentSet;
  counters: PreviousSample['counters'];
  totals: number[];
  bucketStart: Date;
  bucket: number[];
  logs: TelemetryLogLine[];
}

interface StateRow {
  agent_id: string;
  sampled_at: Date;
  component_set: number;
  network_in_bytes: number | null;
  network_out_bytes: number | null;
  agent_cpu_seconds: number | null;
  vector_uptime_seconds: number | null;
  totals: number[] | null;
  bucket_start: Date;
  bucket: number[] | null;
  logs: TelemetryLogLine[];
}

interface Planned {
  sample: TelemetrySample;
  expected: Date | null;
  outcome: SampleOutcome;
  set: ComponentSet;
  previousSet: ComponentSet | null;
  logs: TelemetryLogLine[];
  logsChanged: boolean;
  /** The outcome's components and open bucket as stored (written, then kept in `known`). */
  encoded: ReturnType<typeof encodeComponents>;
  bucket: number[];
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

const orUndefined = (v: number | null) => (v === null || Number.isNaN(v) ? undefined : v);
const num = (v: number | null) => (v === null ? null : Number(v));

function previousOf(state: StoredState | undefined): PreviousSample | null {
  if (!state) return null;
  return {
    sampledAt: state.sampledAt,
    counters: state.counters,
    components: decodeComponents(state.set, state.totals, null, null),
    bucketStart: state.bucketStart,
    bucket: decodeBucket(state.bucket, state.set.ids),
  };
}

export class TelemetryStore {
  /** Agent id → its latest row as this replica last wrote or read it. */
  private known = new Map<string, StoredState>();
  /** This replica's minute aggregates, not yet written. */
  readonly minutes = new MinuteSums();

  constructor(private readonly ctx: FleetContext) {}

  /** Agents whose stored row this replica remembers. */
  get knownAgents(): number {
    return this.known.size;
  }

  /** Forget agents not sampled since `before` (another replica serves them, or they left). */
  forgetOlderThan(before: Date): void {
    for (const [id, s] of this.known) if (s.sampledAt < before) this.known.delete(id);
  }

  private async readStates(tx: Tx, agentIds: string[], lock: boolean): Promise<Map<string, StoredState>> {
    if (agentIds.length === 0) return new Map();
    const rows = await tx.$queryRawUnsafe<StateRow[]>(STATE_SQL + (lock ? ' FOR UPDATE' : ''), agentIds);
    const sets = await componentSets(
      this.ctx,
      rows.map((r) => r.component_set),
    );
    return new Map(
      rows.map((r) => [
        r.agent_id,
        {
          sampledAt: r.sampled_at,
          set: sets.get(r.component_set) ?? { id: r.component_set, ids: [], kinds: [], types: [] },
          counters: {
            networkInBytes: orUndefined(num(r.network_in_bytes)),
            networkOutBytes: orUndefined(num(r.network_out_bytes)),
            agentCpuSeconds: orUndefined(num(r.agent_cpu_seconds)),
            vectorUptimeSeconds: orUndefined(num(r.vector_uptime_seconds)),
          },
          totals: (r.totals ?? []).map(Number),
          bucketStart: r.bucket_start,
          bucket: (r.bucket ?? []).map(Number),
          logs: r.logs,
        },
      ]),
    );
  }

  private plan(sample: TelemetrySample, state: StoredState | undefined, set: ComponentSet): Planned | null {
    const previous = previousOf(state);
    if (!isNewer(previous, sample.at)) return null;
    const outcome = advanceSample(previous, sample.telemetry, sample.at);
    const logs = mergeLogs(state?.logs ?? [], sample.telemetry.logs);
    return {
      sample,
      expected: state?.sampledAt ?? null,
      outcome,
      set,
      previousSet: state?.set ?? null,
      logs,
      logsChanged: logs !== (state?.logs ?? []),
      encoded: encodeComponents(outcome.components),
      bucket: encodeBucket(outcome.bucket, set.ids),
    };
  }

  private async writeLatest(tx: Tx, planned: Planned[]): Promise<Set<string>> {
    if (planned.length === 0) return new Set();
    const col = (f: (p: Planned) => number | string | null | undefined) => columnLiteral(planned.map(f));
    const literals = (f: (p: Planned) => string) => literalsColumn(planned.map(f));
    const host = (p: Planned) => p.sample.telemetry.host ?? {};
    const rows = await tx.$queryRawUnsafe<{ agent_id: string }[]>(
      LATEST_SQL,
      col((p) => p.sample.agentId),
      col((p) => p.sample.groupId),
      col((p) => p.sample.at.toISOString()),
      col((p) => p.expected?.toISOString() ?? null),
      col((p) => p.sample.telemetry.vector?.uptimeSeconds ?? null),
      col((p) => p.sample.telemetry.vector?.reloads ?? null),
      col((p) => host(p).cpuPercent ?? null),
      col((p) => host(p).load1 ?? null),
      col((p) => host(p).memoryUsedBytes ?? null),
      col((p) => host(p).memoryAvailableBytes ?? null),
      col((p) => host(p).diskUsedBytes ?? null),
      col((p) => host(p).diskTotalBytes ?? null),
      col((p) => p.outcome.rates.networkIn),
      col((p) => p.outcome.rates.networkOut),
      col((p) => host(p).agentRssBytes ?? null),
      col((p) => p.outcome.rates.agentCpuPercent),
      col((p) => p.outcome.rates.eventsIn),
      col((p) => p.outcome.rates.eventsOut),
      col((p) => p.outcome.rates.errors),
      col((p) => p.outcome.rates.discarded),
      col((p) => p.outcome.counters.networkInBytes ?? null),
      col((p) => p.outcome.counters.networkOutBytes ?? null),
      col((p) => p.outcome.counters.agentCpuSeconds ?? null),
      col((p) => p.set.id),
      literals((p) => arrayLiteral(p.encoded.totals)),
      literals((p) => arrayLiteral(p.encoded.rates)),
      literals((p) => arrayLiteral(p.encoded.buffers)),
      // JSON text needs quoting and escaping: pg builds this one.
      planned.map((p) => (p.logsChanged ? JSON.stringify(p.logs) : null)),
      col((p) => p.outcome.bucketStart.toISOString()),
      literals((p) => arrayLiteral(p.bucket)),
    );
    return new Set(rows.map((r) => r.agent_id));
  }

  private async insertBuckets(tx: Tx, written: Planned[], keepFrom: Date): Promise<void> {
    const closed = written.filter((p) => p.outcome.closed && p.outcome.closed.start >= keepFrom);
    if (closed.length === 0) return;
    type Closed = NonNullable<SampleOutcome['closed']>;
    const col = (f: (c: Planned, b: Closed) => number | string | null) =>
      columnLiteral(closed.map((p) => f(p, p.outcome.closed!)));
    await tx.$executeRawUnsafe(
      BUCKETS_SQL,
      col((_, c) => c.start.toISOString()),
      col((p) => p.sample.agentId),
      col((_, c) => c.bucket.samples),
      col((_, c) => (c.bucket.cpuSamples > 0 ? c.bucket.cpuSum / c.bucket.cpuSamples : null)),
      col((_, c) => c.bucket.memoryUsedBytes),
      col((_, c) => c.bucket.memoryAvailableBytes),
      col((_, c) => c.bucket.diskUsedBytes),
      col((_, c) => c.bucket.diskTotalBytes),
      col((_, c) => c.bucket.totals.eventsIn),
      col((_, c) => c.bucket.totals.eventsOut),
      col((_, c) => c.bucket.totals.errors),
      col((_, c) => c.bucket.totals.discarded),
      col((p) => (p.previousSet ?? p.set).id),
      literalsColumn(
        closed.map((p) =>
          arrayLiteral(historyComponents(p.outcome.closed!.bucket, (p.previousSet ?? p.set).ids)),
        ),
      ),
    );
  }

  /**
   * Record a batch of samples (at most one per agent) in one transaction and add the increases of
   * those written to the minute sums; closed buckets starting before `keepBucketsFrom` are not
   * written. Samples not newer than the stored one are skipped. Resolves the samples written;
   * rejects (writing nothing, forgetting what it knew of the batch's agents) when the database fails,
   * e.g. with SQLSTATE 23514 when a partition is missing.
   */
  async record(samples: TelemetrySample[], keepBucketsFrom: Date): Promise<TelemetrySample[]> {
    const sorted = [...samples].sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
    // Each sample's component set (the one its outcome's components will have: same list, same order).
    const keys = sorted.map((s) => setKey(s.telemetry.components ?? []));
    const idsByKey = await resolveSets(this.ctx, keys);
    const byId = await componentSets(this.ctx, idsByKey.values());
    const sets = new Map(sorted.map((s, i) => [s.agentId, byId.get(idsByKey.get(keys[i])!)!]));
    try {
      const { written, states } = await this.ctx.db.$transaction(async (tx) => {
        const unknown = sorted.filter((s) => !this.known.has(s.agentId)).map((s) => s.agentId);
        const states = await this.readStates(tx, unknown, false);
        for (const s of sorted) {
          const known = this.known.get(s.agentId);
          if (known) states.set(s.agentId, known);
        }
        const first = sorted.flatMap((s) => this.plan(s, states.get(s.agentId), sets.get(s.agentId)!) ?? []);
        const done = await this.writeLatest(tx, first);
        const written = first.filter((p) => done.has(p.sample.agentId));
        // Rows another replica moved on (or created) since: fold again against them, under their lock.
        const lost = sorted.filter(
          (s) => !done.has(s.agentId) && first.some((p) => p.sample.agentId === s.agentId),
        );
        const fresh = await this.readStates(
          tx,
          lost.map((s) => s.agentId),
          true,
        );
        for (const [id, s] of fresh) states.set(id, s);
        const second = lost.flatMap((s) => this.plan(s, fresh.get(s.agentId), sets.get(s.agentId)!) ?? []);
        const again = await this.writeLatest(tx, second);
        written.push(...second.filter((p) => again.has(p.sample.agentId)));
        await this.insertBuckets(tx, written, keepBucketsFrom);
        return { written, states };
      }, TRANSACTION_LIMITS);
      for (const s of sorted) {
        const read = states.get(s.agentId);
        if (read) this.known.set(s.agentId, read);
      }
      for (const p of written) {
        // Exact-length copies (slice): one pair is kept per agent, and push leaves up to half spare.
        this.known.set(p.sample.agentId, {
          sampledAt: p.sample.at,
          set: p.set,
          counters: p.outcome.counters,
          totals: p.encoded.totals.slice(),
          bucketStart: p.outcome.bucketStart,
          bucket: p.bucket.slice(),
          logs: p.logs,
        });
        this.minutes.add(p.sample.groupId, p.sample.at, p.outcome.increases);
      }
      return written.map((p) => p.sample);
    } catch (error) {
      for (const s of sorted) this.known.delete(s.agentId);
      throw error;
    }
  }
}
