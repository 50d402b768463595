/**
 * The fleet benchmarks of `npm run bench`, on one server process over PostgreSQL and one simulated
 * fleet (agent/sim, BENCH_FLEET_AGENTS, default 10,000, enrolled over HTTP): capacity steps, then
 * subscription fan-out, then config propagation; and memory per connected dashboard on a fresh
 * server. The sim runs in worker processes on the same machine, so its CPU is reported too.
 */
import { startFleet } from '../../agent/sim/fleet.ts';
import { defaultOptions } from '../../agent/sim/options.ts';
import type { FleetReport } from '../../agent/sim/report.ts';
import { benchCapacity, type CapacityResult } from './capacity.ts';
import {
  benchDashboardMemory,
  compareFanout,
  FANOUT_DASHBOARDS,
  type DashboardMemory,
  type FanoutComparison,
} from './fanout.ts';
import { startBenchServer } from './fleet-server.ts';
import { benchBareHeldMemory, heapProbe, perConnection, type PerConnection } from './memory.ts';
import { benchPropagation, type PropagationResult } from './propagation.ts';

const AGENTS = Number(process.env.BENCH_FLEET_AGENTS ?? 10_000);
const PROCESSES = Number(process.env.BENCH_SIM_PROCESSES ?? 2);

export interface FleetBenchResult {
  enrolment: { agents: number; seconds: number; perSecond: number };
  /**
   * The server's growth per agent after full collections, its fleet idle at production intervals
   * (every agent holding a long-poll); and the bare node:http floor for the same held request.
   */
  serverMemory: { perAgent: PerConnection; bare: PerConnection };
  capacity: CapacityResult;
  /** One dashboard vs FANOUT_DASHBOARDS watching the fleet, in interleaved rounds. */
  fanout: FanoutComparison;
  propagation: PropagationResult;
  dashboards: DashboardMemory;
  /** The simulator's own report of the whole run, minus options. */
  simulator: Pick<
    FleetReport,
    'requests' | 'latencyMs' | 'heartbeats' | 'actions' | 'connections' | 'simulator'
  >;
}

/** Run every fleet benchmark; rejects when the fleet cannot be enrolled or a step cannot run. */
export async function benchFleet(): Promise<FleetBenchResult> {
  const bare = await benchBareHeldMemory(AGENTS);
  const main = await onOneFleet(bare);
  // A fresh, idle server, so the fleet run's heap does not hide the dashboards' cost.
  const dashboards = await benchDashboardMemory();
  return { ...main, dashboards };
}

async function onOneFleet(bare: PerConnection): Promise<Omit<FleetBenchResult, 'dashboards'>> {
  const probe = heapProbe('fleet');
  // One API token stands for every dashboard of the fan-out run, so lift the per-user cap.
  const server = await startBenchServer('fleet_bench', {
    FLOTILLA_WS_MAX_CONNECTIONS_PER_USER: String(FANOUT_DASHBOARDS + 10),
    ...probe.env,
  });
  try {
    const idle = await probe.read(server.pid);
    const fleet = await startFleet({
      ...defaultOptions(server.baseUrl, server.bootstrapTokens, AGENTS),
      processes: PROCESSES,
      enrolConcurrency: 20,
    });
    try {
      const started = Date.now();
      await fleet.waitFor((s) => s.agents.enrolled + s.agents.enrolFailed >= AGENTS, 600_000);
      const seconds = (Date.now() - started) / 1000;
      const enrolment = {
        agents: AGENTS,
        seconds: Math.round(seconds),
        perSecond: Math.round(AGENTS / seconds),
      };
      process.stderr.write(`fleet: ${AGENTS} agents enrolled in ${enrolment.seconds} s\n`);
      // The simulator starts at production intervals: measure once every agent holds its poll.
      await fleet.waitFor((s) => (s.requests.inFlight['config-wait'] ?? 0) >= AGENTS * 0.995, 120_000);
      const perAgent = perConnection(idle, await probe.read(server.pid), AGENTS);
      const capacity = await benchCapacity(server, fleet);
      fleet.retune({ heartbeatIntervalMs: 30_000, longPollSeconds: 50 });
      const fanout = await compareFanout(server);
      for (const { one, many } of fanout.rounds)
        process.stderr.write(
          `fan-out: 1 dashboard p99 ${one.latencyMs.p99} ms, server CPU ${one.serverCpuPercent} %; ` +
            `${many.dashboards}: p99 ${many.latencyMs.p99} ms, ${many.serverCpuPercent} %\n`,
        );
      const { result: propagation, report } = await benchPropagation(server, fleet);
      process.stderr.write(`propagation: p99 ${propagation.typical.p99} ms\n`);
      const { requests, latencyMs, heartbeats, actions, connections, simulator } = report;
      return {
        enrolment,
        serverMemory: { perAgent, bare },
        capacity,
        fanout,
        propagation,
        simulator: { requests, latencyMs, heartbeats, actions, connections, simulator },
      };
    } finally {
      await fleet.stop();
    }
  } finally {
    await server.stop();
    await probe.remove();
  }
}
