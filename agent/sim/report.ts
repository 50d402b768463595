/**
 * The simulator's outputs: shard snapshots added up into a fleet snapshot, the one-line live
 * summary, and the final JSON report (requests by route and status, latency percentiles, config
 * propagation per version, action results lost or duplicated).
 */
import { combine, exactPercentiles, percentiles, type Percentiles } from './histogram.ts';
import type { FleetOptions } from './options.ts';
import { addTotals, requestCount } from './requests.ts';
import type { ShardFinal, ShardSnapshot } from './shard.ts';

export type FleetSnapshot = ShardSnapshot;

export interface VersionReport {
  version: number;
  /** What propagation is measured from: the change time given by the driver, or the first agent that got it. */
  reference: 'change' | 'first-received';
  referenceAt: string;
  received: number;
  applied: number;
  failed: number;
  /** Reference → applied, over agents that already had a config (their first one is not a change). */
  propagationMs: Percentiles;
  /** Reference → validation failure reported, for the failing share. */
  failedAfterMs: Percentiles;
  /** Reference → the server acknowledged the agent's heartbeat with the update applied. */
  reportedMs: Percentiles;
}

export interface FleetReport {
  startedAt: string;
  endedAt: string;
  durationSeconds: number;
  options: Omit<FleetOptions, 'tokens'>;
  agents: ShardSnapshot['agents'];
  requests: {
    total: number;
    perSecond: number;
    byRoute: Record<string, Record<string, number>>;
    /** Network failures by route and message. */
    errors: Record<string, number>;
  };
  /** Per route; `config-wait` (long-polls) includes the time the server held the request. */
  latencyMs: Record<string, Percentiles>;
  /** `failed`: heartbeats that got no 200 (lost, retried later). */
  heartbeats: { ok: number; failed: number };
  configs: VersionReport[];
  /** With recordReceipts: per version, the index of every agent answered a 200 with it (once per 200). */
  receipts?: Record<string, number[]>;
  actions: ShardSnapshot['actions'] & { lost: number; duplicated: number };
  connections: { peakHeldPolls: number; peakOpenSockets: number };
  simulator: { processes: number; cpuPercent: number; rssBytes: number; loopDelayP99Ms: number };
}

/** Several shards' snapshots as one. */
export function mergeSnapshots(parts: ShardSnapshot[]): FleetSnapshot {
  const [head, ...rest] = parts;
  const out: FleetSnapshot = structuredClone(head);
  for (const p of rest) {
    out.at = Math.max(out.at, p.at);
    for (const key of Object.keys(out.agents) as (keyof FleetSnapshot['agents'])[])
      out.agents[key] += p.agents[key];
    for (const key of Object.keys(out.actions) as (keyof FleetSnapshot['actions'])[])
      out.actions[key] += p.actions[key];
    out.heartbeats.ok += p.heartbeats.ok;
    out.heartbeats.failed += p.heartbeats.failed;
    out.requests = addTotals(out.requests, p.requests);
    for (const [v, c] of Object.entries(p.versions)) {
      const mine = out.versions[v];
      if (!mine) out.versions[v] = { ...c };
      else {
        mine.firstReceivedAt = Math.min(mine.firstReceivedAt, c.firstReceivedAt);
        mine.received += c.received;
        mine.applied += c.applied;
        mine.failed += c.failed;
        mine.reported += c.reported;
      }
    }
    out.openSockets += p.openSockets;
    out.process.cpuMicros += p.process.cpuMicros;
    out.process.rssBytes += p.process.rssBytes;
    out.process.loopDelay = combine(out.process.loopDelay, p.process.loopDelay);
  }
  return out;
}

/** One line for the live view: rates and heartbeat p99 over the interval since `prev`. */
export function progressLine(prev: FleetSnapshot, cur: FleetSnapshot, startedAt: number): string {
  const seconds = Math.max(0.001, (cur.at - prev.at) / 1000);
  const interval = addTotals(cur.requests, prev.requests, -1);
  const hb = percentiles(interval.latency.heartbeat ?? []);
  const newest = Object.keys(cur.versions)
    .map(Number)
    .sort((a, b) => b - a)[0];
  const v = newest === undefined ? undefined : cur.versions[String(newest)];
  const a = cur.actions;
  return [
    `[sim ${Math.round((cur.at - startedAt) / 1000)}s]`,
    `agents ${cur.agents.enrolled}/${cur.agents.target}`,
    `${Math.round(requestCount(interval) / seconds)} req/s`,
    `heartbeat p99 ${hb.p99} ms`,
    `held polls ${cur.requests.inFlight['config-wait'] ?? 0}`,
    `heartbeats lost ${cur.heartbeats.failed}`,
    v ? `v${newest} applied ${v.applied} failed ${v.failed}` : 'no config yet',
    `actions done ${a.done}/${a.received}`,
    `results lost ${a.resultsRejected} dup ${a.resultsDuplicated}`,
  ].join(' · ');
}

export interface ReportInput {
  options: FleetOptions;
  startedAt: number;
  finals: ShardFinal[];
  /** Change times the driver gave (version → epoch ms). */
  changes: Map<number, number>;
  peaks: FleetReport['connections'];
}

/** The final report of a run. */
export function buildReport(input: ReportInput): FleetReport {
  const snap = mergeSnapshots(input.finals.map((f) => f.snapshot));
  const seconds = Math.max(0.001, (snap.at - input.startedAt) / 1000);
  const { tokens: _tokens, ...options } = input.options;
  const latencyMs: Record<string, Percentiles> = {};
  for (const [route, h] of Object.entries(snap.requests.latency)) latencyMs[route] = percentiles(h);
  const total = requestCount(snap.requests);
  const unreported = input.finals.reduce((n, f) => n + f.unreportedResults, 0);
  return {
    startedAt: new Date(input.startedAt).toISOString(),
    endedAt: new Date(snap.at).toISOString(),
    durationSeconds: Math.round(seconds * 10) / 10,
    options,
    agents: snap.agents,
    requests: {
      total,
      perSecond: Math.round(total / seconds),
      byRoute: snap.requests.byStatus,
      errors: snap.requests.errors,
    },
    latencyMs,
    heartbeats: snap.heartbeats,
    configs: versionReports(snap, input.finals, input.changes),
    ...(input.options.recordReceipts ? { receipts: mergeReceipts(input.finals) } : {}),
    actions: {
      ...snap.actions,
      lost: snap.actions.resultsRejected + unreported,
      duplicated: snap.actions.resultsDuplicated,
    },
    connections: input.peaks,
    simulator: {
      processes: Math.max(1, input.options.processes),
      cpuPercent: Math.round(snap.process.cpuMicros / 1e4 / seconds),
      rssBytes: snap.process.rssBytes,
      loopDelayP99Ms: percentiles(snap.process.loopDelay).p99,
    },
  };
}

function mergeReceipts(finals: ShardFinal[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const f of finals)
    for (const [v, indices] of Object.entries(f.receipts)) (out[v] ??= []).push(...indices);
  for (const indices of Object.values(out)) indices.sort((a, b) => a - b);
  return out;
}

function versionReports(snap: FleetSnapshot, finals: ShardFinal[], changes: Map<number, number>) {
  return Object.entries(snap.versions)
    .map(([key, c]): VersionReport => {
      const version = Number(key);
      const changedAt = changes.get(version);
      const at = changedAt ?? c.firstReceivedAt;
      const since = (times: number[]) => exactPercentiles(times.map((t) => t - at));
      const times = (kind: 'applied' | 'failed' | 'reported') =>
        finals.flatMap((f) => f.updateTimes[key]?.[kind] ?? []);
      return {
        version,
        reference: changedAt === undefined ? 'first-received' : 'change',
        referenceAt: new Date(at).toISOString(),
        received: c.received,
        applied: c.applied,
        failed: c.failed,
        propagationMs: since(times('applied')),
        failedAfterMs: since(times('failed')),
        reportedMs: since(times('reported')),
      };
    })
    .sort((a, b) => a.version - b.version);
}
