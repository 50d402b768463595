/**
 * Capacity: the largest fleet one server process (PostgreSQL) sustains with heartbeat p99 < 250 ms,
 * no heartbeat lost and no action result lost or duplicated. Time is compressed: the simulated
 * fleet keeps its size and each step shortens the heartbeat interval and the long-poll wait in
 * proportion, so N agents at interval 30 s × N / E send what E agents at the production intervals
 * (heartbeat 30 s, long-poll 50 s) send. What compression does not reproduce is the E held
 * connections: the server holds N (reported); memory per connected agent comes from memory.ts.
 */
import { combine, percentiles, type Percentiles } from '../../agent/sim/histogram.ts';
import type { Fleet } from '../../agent/sim/fleet.ts';
import { addTotals, type RequestTotals } from '../../agent/sim/requests.ts';
import type { FleetSnapshot } from '../../agent/sim/report.ts';
import { cpuBetween, sampleCpu, type CpuUse } from './cpu.ts';
import type { BenchServer } from './fleet-server.ts';
import { rssBytes } from './lib.ts';

/** Equivalent fleet sizes to step through (agents at a 30 s heartbeat and a 50 s long-poll). */
const STEPS = [10_000, 25_000, 50_000, 75_000, 100_000, 125_000, 150_000];
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 15);
const MIN_WARMUP_SECONDS = 8;
const UPGRADES_PER_STEP = 500;
export const HEARTBEAT_P99_TARGET_MS = 250;
/** The sustained fleet size issue 15 asks of one server process on this box. */
export const CAPACITY_TARGET_AGENTS = 150_000;
/** Issue 15's target for agents one server core serves at the production intervals. */
export const AGENTS_PER_CORE_TARGET = 400_000;

export interface CapacityStep {
  /** Fleet size at production intervals that this step's request rates stand for. */
  equivalentAgents: number;
  heartbeatIntervalMs: number;
  longPollSeconds: number;
  /** 2 when the first window failed and the step was measured again. */
  attempt: number;
  requestsPerSecond: number;
  heartbeatsPerSecond: number;
  pollsPerSecond: number;
  heartbeatMs: Percentiles;
  heartbeatsLost: number;
  /** Action results rejected or duplicated so far (cumulative). */
  resultsLost: number;
  upgradesQueued: number;
  heldPolls: number;
  serverRssBytes: number;
  cpu: CpuUse & { simPercent: number; otherPercent: number };
  simLoopDelayP99Ms: number;
  passed: boolean;
}

export interface CapacityResult {
  simulatedAgents: number;
  /** The largest equivalent fleet of a passing step (0 when none passed). */
  sustainedAgents: number;
  /**
   * That step's fleet per server core: its equivalent agents ÷ the server process's CPU (from
   * /proc) as a share of one core (0 when no step passed).
   */
  agentsPerServerCore: number;
  target: number;
  steps: CapacityStep[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Step the running `fleet` (all enrolled) up until a step fails twice in a row; leaves it at the
 * last step's rates. Each step also queues upgrade_agent for 500 agents.
 */
export async function benchCapacity(server: BenchServer, fleet: Fleet): Promise<CapacityResult> {
  const agents = fleet.snapshot().agents.enrolled;
  const steps: CapacityStep[] = [];
  let previousWait = fleet.options.longPollSeconds;
  for (const equivalentAgents of STEPS) {
    const heartbeatIntervalMs = Math.round((30_000 * agents) / equivalentAgents);
    const longPollSeconds = Math.min(60, Math.max(1, Math.round((50 * agents) / equivalentAgents)));
    fleet.retune({ heartbeatIntervalMs, longPollSeconds });
    const upgradesQueued = await server.upgrade(UPGRADES_PER_STEP);
    // Held polls keep the wait they were sent with, and beats re-spread over the new interval.
    await sleep(Math.max(MIN_WARMUP_SECONDS, previousWait + 1) * 1000);
    previousWait = longPollSeconds;
    // The machine is shared: a failed window is measured once more before the step counts as failed.
    for (let attempt = 1; attempt <= 2; attempt++) {
      const a = fleet.snapshot();
      const cpuA = await sampleCpu(server.pid);
      await sleep(STEP_SECONDS * 1000);
      const b = fleet.snapshot();
      const cpuB = await sampleCpu(server.pid);
      const step = measure(a, b, cpuBetween(cpuA, cpuB));
      steps.push({
        equivalentAgents,
        heartbeatIntervalMs,
        longPollSeconds,
        attempt,
        upgradesQueued,
        serverRssBytes: await rssBytes(server.pid),
        ...step,
      });
      process.stderr.write(
        `capacity ${equivalentAgents} (${attempt}): heartbeat p99 ${step.heartbeatMs.p99} ms, ` +
          `${step.requestsPerSecond} req/s, server ${step.cpu.serverPercent} % CPU, ` +
          `machine ${step.cpu.machineBusyShare} % busy, ${step.passed ? 'ok' : 'FAILED'}\n`,
      );
      if (step.passed) break;
    }
    if (!steps[steps.length - 1].passed) break;
  }
  const sustained = steps.filter((s) => s.passed).pop();
  return {
    simulatedAgents: agents,
    sustainedAgents: sustained?.equivalentAgents ?? 0,
    agentsPerServerCore: sustained
      ? Math.round((sustained.equivalentAgents * 100) / Math.max(1, sustained.cpu.serverPercent))
      : 0,
    target: CAPACITY_TARGET_AGENTS,
    steps,
  };
}

/** Requests of `route` answered in `totals` (any status; cancelled ones are not counted). */
export function answered(totals: RequestTotals, route: string): number {
  return Object.entries(totals.byStatus[route] ?? {})
    .filter(([status]) => status !== 'cancelled')
    .reduce((n, [, c]) => n + c, 0);
}

function measure(a: FleetSnapshot, b: FleetSnapshot, cpu: CpuUse) {
  const seconds = (b.at - a.at) / 1000;
  const interval = addTotals(b.requests, a.requests, -1);
  const count = (route: string) => answered(interval, route);
  const rate = (n: number) => Math.round(n / seconds);
  const heartbeatMs = percentiles(interval.latency.heartbeat ?? []);
  const heartbeatsLost = b.heartbeats.failed - a.heartbeats.failed;
  const resultsLost = b.actions.resultsRejected + b.actions.resultsDuplicated;
  const simPercent = Math.round((b.process.cpuMicros - a.process.cpuMicros) / 1e4 / seconds);
  return {
    requestsPerSecond: rate(Object.keys(interval.byStatus).reduce((n, r) => n + count(r), 0)),
    heartbeatsPerSecond: rate(count('heartbeat')),
    pollsPerSecond: rate(count('config') + count('config-wait')),
    heartbeatMs,
    heartbeatsLost,
    resultsLost,
    heldPolls: b.requests.inFlight['config-wait'] ?? 0,
    cpu: {
      ...cpu,
      simPercent,
      otherPercent: Math.max(0, cpu.machinePercent - cpu.serverPercent - cpu.postgresPercent - simPercent),
    },
    simLoopDelayP99Ms: percentiles(combine(b.process.loopDelay, a.process.loopDelay, -1)).p99,
    passed: heartbeatMs.p99 < HEARTBEAT_P99_TARGET_MS && heartbeatsLost === 0 && resultsLost === 0,
  };
}
