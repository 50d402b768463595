/**
 * THE counter rules of telemetry, pure: a heartbeat's monotonic totals, compared with the agent's
 * previous sample, become increases (added to the minute aggregates and the agent's 5-minute
 * bucket) and rates per second (kept as the agent's latest values). A total lower than before
 * (or a Vector uptime lower than before) is a restart: the counter started again from 0, so the
 * increase is the new total. A sample after a gap longer than MAX_SAMPLE_GAP_MS, or the first
 * one, is a baseline: no increase and no rate. Called under the row lock of the agent's latest
 * sample (ingest.ts), so across replicas each heartbeat is counted exactly once.
 */
import type { ComponentKind, Telemetry } from '../../protocol/telemetry.ts';

/** The per-component counters, in the order the database columns list them. */
export const COUNTERS = ['eventsIn', 'eventsOut', 'bytesIn', 'bytesOut', 'errors', 'discarded'] as const;
export type CounterName = (typeof COUNTERS)[number];
export type Counts = Record<CounterName, number>;

/** Longest gap between two samples a rate spans; after a longer one the sample is a fresh baseline. */
export const MAX_SAMPLE_GAP_MS = 10 * 60_000;
/** Step of the per-agent history (telemetry_agent_buckets). */
export const BUCKET_MS = 5 * 60_000;
/** Step of the per-group and per-component aggregates (telemetry_component_minutes). */
export const MINUTE_MS = 60_000;

/** One component as the latest sample keeps it. */
export interface StoredComponent {
  id: string;
  kind: ComponentKind;
  type: string;
  totals: Counts;
  /** Per second since the previous sample; null for a baseline sample. */
  rates: Counts | null;
  bufferEvents?: number;
  bufferBytes?: number;
}

/** Host, agent and Vector totals of the latest sample (to compute the next sample's rates). */
export interface StoredCounters {
  networkInBytes?: number;
  networkOutBytes?: number;
  agentCpuSeconds?: number;
  vectorUptimeSeconds?: number;
}

/** The increases of one component in one sample. */
export interface ComponentIncrease {
  id: string;
  kind: ComponentKind;
  type: string;
  counts: Counts;
}

/** Sums of an agent's open 5-minute bucket. */
export interface OpenBucket {
  samples: number;
  cpuSum: number;
  cpuSamples: number;
  memoryUsedBytes: number | null;
  memoryAvailableBytes: number | null;
  diskUsedBytes: number | null;
  diskTotalBytes: number | null;
  totals: AgentCounts;
  /** Component id → its increases in this bucket. */
  components: Record<string, AgentCounts>;
}

/** What the charts of an agent show per step: events in (sources), out (sinks), errors, discarded. */
export interface AgentCounts {
  eventsIn: number;
  eventsOut: number;
  errors: number;
  discarded: number;
}

/** The previous sample of an agent, as read (and locked) from telemetry_latest. */
export interface PreviousSample {
  sampledAt: Date;
  counters: StoredCounters;
  components: StoredComponent[];
  bucketStart: Date;
  bucket: OpenBucket;
}

/** The agent-level rates per second of a sample (null for a baseline or a missing field). */
export interface SampleRates {
  eventsIn: number | null;
  eventsOut: number | null;
  errors: number | null;
  discarded: number | null;
  networkIn: number | null;
  networkOut: number | null;
  agentCpuPercent: number | null;
}

/** Everything one sample changes. */
export interface SampleOutcome {
  counters: StoredCounters;
  components: StoredComponent[];
  increases: ComponentIncrease[];
  rates: SampleRates;
  bucketStart: Date;
  bucket: OpenBucket;
  /** The previous bucket when this sample opened a new one (and it held samples). */
  closed: { start: Date; bucket: OpenBucket } | null;
}

/**
 * How much a counter grew from `previous` to `next`: the difference, or `next` itself when the
 * counter went down or the process restarted (it counted again from 0).
 */
export function counterIncrease(previous: number, next: number, restarted: boolean): number {
  return restarted || next < previous ? next : next - previous;
}

/** The start of the `stepMs` step holding `at` (steps are aligned to the Unix epoch). */
export function stepStart(at: Date, stepMs: number): Date {
  return new Date(Math.floor(at.getTime() / stepMs) * stepMs);
}

// Field by field rather than a loop over COUNTERS: these run for every component of every sample
// (a counter added to COUNTERS is a missing property here, which the compiler refuses).
const countsOf = (c: Counts): Counts => ({
  eventsIn: c.eventsIn,
  eventsOut: c.eventsOut,
  bytesIn: c.bytesIn,
  bytesOut: c.bytesOut,
  errors: c.errors,
  discarded: c.discarded,
});

/** Each counter's increase from `old` (absent: the component is new, it counted from 0) to `next`. */
const increasesOf = (old: Counts | undefined, next: Counts, restarted: boolean): Counts => ({
  eventsIn: counterIncrease(old?.eventsIn ?? 0, next.eventsIn, restarted),
  eventsOut: counterIncrease(old?.eventsOut ?? 0, next.eventsOut, restarted),
  bytesIn: counterIncrease(old?.bytesIn ?? 0, next.bytesIn, restarted),
  bytesOut: counterIncrease(old?.bytesOut ?? 0, next.bytesOut, restarted),
  errors: counterIncrease(old?.errors ?? 0, next.errors, restarted),
  discarded: counterIncrease(old?.discarded ?? 0, next.discarded, restarted),
});

const perSecondOf = (counts: Counts, seconds: number): Counts => ({
  eventsIn: counts.eventsIn / seconds,
  eventsOut: counts.eventsOut / seconds,
  bytesIn: counts.bytesIn / seconds,
  bytesOut: counts.bytesOut / seconds,
  errors: counts.errors / seconds,
  discarded: counts.discarded / seconds,
});
const zeroAgentCounts = (): AgentCounts => ({ eventsIn: 0, eventsOut: 0, errors: 0, discarded: 0 });

/** An empty bucket. */
export function emptyBucket(): OpenBucket {
  return {
    samples: 0,
    cpuSum: 0,
    cpuSamples: 0,
    memoryUsedBytes: null,
    memoryAvailableBytes: null,
    diskUsedBytes: null,
    diskTotalBytes: null,
    totals: zeroAgentCounts(),
    components: {},
  };
}

/** A deep copy of `bucket` (by hand: structuredClone costs several times as much, once per sample). */
function copyBucket(bucket: OpenBucket): OpenBucket {
  const components: Record<string, AgentCounts> = {};
  for (const id in bucket.components) components[id] = { ...bucket.components[id] };
  return { ...bucket, totals: { ...bucket.totals }, components };
}

/** What a component's increases add to an agent's totals: sources bring events in, sinks send them out. */
export function agentCounts(kind: ComponentKind, counts: Counts): AgentCounts {
  return {
    eventsIn: kind === 'source' ? counts.eventsIn : 0,
    eventsOut: kind === 'sink' ? counts.eventsOut : 0,
    errors: counts.errors,
    discarded: counts.discarded,
  };
}

function addInto(target: AgentCounts, add: AgentCounts): void {
  target.eventsIn += add.eventsIn;
  target.eventsOut += add.eventsOut;
  target.errors += add.errors;
  target.discarded += add.discarded;
}

/**
 * Whether `at` continues `previous` (false for the first sample, a gap longer than
 * MAX_SAMPLE_GAP_MS, or a time not after the previous sample).
 */
function continues(previous: PreviousSample | null, at: Date): previous is PreviousSample {
  if (!previous) return false;
  const elapsed = at.getTime() - previous.sampledAt.getTime();
  return elapsed > 0 && elapsed <= MAX_SAMPLE_GAP_MS;
}

function rateOf(
  previous: number | undefined,
  next: number | undefined,
  seconds: number | null,
): number | null {
  if (seconds === null || previous === undefined || next === undefined) return null;
  return counterIncrease(previous, next, false) / seconds;
}

/**
 * Fold one heartbeat's telemetry (received at `at`) into the agent's previous sample. Pure; never
 * throws. A sample not after the previous one should be skipped by the caller (isNewer).
 */
export function advanceSample(
  previous: PreviousSample | null,
  telemetry: Telemetry,
  at: Date,
): SampleOutcome {
  const linked = continues(previous, at);
  const seconds = linked ? (at.getTime() - previous.sampledAt.getTime()) / 1000 : null;
  const uptime = telemetry.vector?.uptimeSeconds;
  const previousUptime = linked ? previous.counters.vectorUptimeSeconds : undefined;
  const restarted = uptime !== undefined && previousUptime !== undefined && uptime < previousUptime;
  const was = linked ? previous.components : [];
  let byId: Map<string, StoredComponent> | undefined;
  // Components keep their order from one sample to the next: look by position first.
  const previousOf = (id: string, i: number): StoredComponent | undefined =>
    was[i]?.id === id ? was[i] : (byId ??= new Map(was.map((c) => [c.id, c]))).get(id);

  const components: StoredComponent[] = [];
  const increases: ComponentIncrease[] = [];
  const agentTotals = zeroAgentCounts();
  const list = telemetry.components ?? [];
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    const totals = countsOf(c);
    let rates: Counts | null = null;
    if (seconds !== null) {
      // A component missing from a linked previous sample was added since: it counted from 0.
      const counts = increasesOf(previousOf(c.id, i)?.totals, totals, restarted);
      rates = perSecondOf(counts, seconds);
      increases.push({ id: c.id, kind: c.kind, type: c.type, counts });
      addInto(agentTotals, agentCounts(c.kind, counts));
    }
    const stored: StoredComponent = { id: c.id, kind: c.kind, type: c.type, totals, rates };
    if (c.bufferEvents !== undefined) stored.bufferEvents = c.bufferEvents;
    if (c.bufferBytes !== undefined) stored.bufferBytes = c.bufferBytes;
    components.push(stored);
  }

  const host = telemetry.host ?? {};
  const counters: StoredCounters = {
    networkInBytes: host.networkInBytes,
    networkOutBytes: host.networkOutBytes,
    agentCpuSeconds: host.agentCpuSeconds,
    vectorUptimeSeconds: uptime,
  };
  const wasCounters = linked ? previous.counters : {};
  const agentCpu = rateOf(wasCounters.agentCpuSeconds, host.agentCpuSeconds, seconds);
  const perSecond = (n: number) => (seconds === null ? null : n / seconds);
  const rates: SampleRates = {
    eventsIn: perSecond(agentTotals.eventsIn),
    eventsOut: perSecond(agentTotals.eventsOut),
    errors: perSecond(agentTotals.errors),
    discarded: perSecond(agentTotals.discarded),
    networkIn: rateOf(wasCounters.networkInBytes, host.networkInBytes, seconds),
    networkOut: rateOf(wasCounters.networkOutBytes, host.networkOutBytes, seconds),
    agentCpuPercent: agentCpu === null ? null : agentCpu * 100,
  };

  const bucketStart = stepStart(at, BUCKET_MS);
  const sameBucket = previous !== null && previous.bucketStart.getTime() === bucketStart.getTime();
  const closed =
    previous && !sameBucket && previous.bucket.samples > 0
      ? { start: previous.bucketStart, bucket: previous.bucket }
      : null;
  const bucket: OpenBucket = sameBucket ? copyBucket(previous.bucket) : emptyBucket();
  bucket.samples += 1;
  if (host.cpuPercent !== undefined) {
    bucket.cpuSum += host.cpuPercent;
    bucket.cpuSamples += 1;
  }
  bucket.memoryUsedBytes = host.memoryUsedBytes ?? bucket.memoryUsedBytes;
  bucket.memoryAvailableBytes = host.memoryAvailableBytes ?? bucket.memoryAvailableBytes;
  bucket.diskUsedBytes = host.diskUsedBytes ?? bucket.diskUsedBytes;
  bucket.diskTotalBytes = host.diskTotalBytes ?? bucket.diskTotalBytes;
  addInto(bucket.totals, agentTotals);
  for (const inc of increases) {
    const sums = (bucket.components[inc.id] ??= zeroAgentCounts());
    sums.eventsIn += inc.counts.eventsIn;
    sums.eventsOut += inc.counts.eventsOut;
    sums.errors += inc.counts.errors;
    sums.discarded += inc.counts.discarded;
  }
  return { counters, components, increases, rates, bucketStart, bucket, closed };
}

/** Whether a sample at `at` is newer than the stored one (older or equal ones are duplicates: skipped). */
export function isNewer(previous: PreviousSample | null, at: Date): boolean {
  return !previous || at.getTime() > previous.sampledAt.getTime();
}
