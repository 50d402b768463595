/**
 * Propagation: a config change (an operator's GraphQL mutation) → every long-polling agent of the
 * fleet applied it, and → the server answered each agent's heartbeat reporting it (the headline:
 * what the server sees). Per agent (the simulator records both); p50 / p99 over the fleet, for a
 * few changes in a row and for a second change made 5 s after a first.
 */
import type { Percentiles } from '../../agent/sim/histogram.ts';
import type { Fleet } from '../../agent/sim/fleet.ts';
import type { FleetReport } from '../../agent/sim/report.ts';
import { cpuBetween, sampleCpu, type CpuUse } from './cpu.ts';
import type { BenchServer } from './fleet-server.ts';

export const PROPAGATION_P99_TARGET_MS = 2000;

export interface PropagationResult {
  agents: number;
  changes: ChangeFigures[];
  /** The change with the median server-seen p99, as the headline figure. */
  typical: Percentiles;
  /** A change published `SECOND_CHANGE_AFTER_MS` after another, before the fleet settled. */
  second: ChangeFigures;
}

/** One change's figures, all measured from the moment the mutation was sent. */
export interface ChangeFigures {
  version: number;
  applied: number;
  /** → each agent applied it (the simulator's own clock). */
  propagationMs: Percentiles;
  /** → the server answered the agent's heartbeat carrying the new applied version: what it sees. */
  reportedMs: Percentiles;
  /** Mutation sent → the first agent got the new config: the fixed part (publish, wake-up). */
  firstReceivedMs: number;
  /** CPU from the mutation to the last agent's report: where the time goes. */
  cpu: CpuUse & { simPercent: number; windowMs: number };
}

/** The second change of a pair follows the first this long after (the "5 s after"). */
export const SECOND_CHANGE_AFTER_MS = 5000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Window = Omit<ChangeFigures, 'applied' | 'propagationMs' | 'reportedMs'>;

/**
 * Publish `changes` versions one after another, each once the previous one was reported applied
 * by every agent and the polls are held again; then a pair of changes 5 s apart, the second
 * measured. Then stop the fleet and read the per-agent times from its report.
 */
export async function benchPropagation(
  server: BenchServer,
  fleet: Fleet,
  changes = 3,
): Promise<{ result: PropagationResult; report: FleetReport }> {
  const agents = fleet.snapshot().agents.enrolled;
  fleet.retune({ heartbeatIntervalMs: 30_000, longPollSeconds: 50 });
  const holding = async () => {
    await fleet.waitFor((s) => (s.requests.inFlight['config-wait'] ?? 0) >= agents * 0.995, 60_000);
    await sleep(2000);
  };
  const measure = async (publishFirst?: () => Promise<unknown>): Promise<Window> => {
    await publishFirst?.();
    const [before, cpuBefore] = [fleet.snapshot(), await sampleCpu(server.pid)];
    const { version, at } = await server.publish();
    fleet.markChange(version, at);
    const seen = (s: ReturnType<Fleet['snapshot']>) => s.versions[String(version)]?.reported ?? 0;
    const after = await fleet.waitFor((s) => seen(s) >= agents, 60_000);
    const cpu = cpuBetween(cpuBefore, await sampleCpu(server.pid));
    const windowMs = after.at - before.at;
    const simPercent = Math.round((after.process.cpuMicros - before.process.cpuMicros) / 10 / windowMs);
    const firstReceivedMs = (after.versions[String(version)]?.firstReceivedAt ?? at) - at;
    return { version, cpu: { ...cpu, simPercent, windowMs }, firstReceivedMs };
  };
  const windows: Window[] = [];
  for (let i = 0; i < changes; i++) {
    await holding();
    windows.push(await measure());
  }
  await holding();
  const second = await measure(async () => {
    const first = await server.publish();
    fleet.markChange(first.version, first.at);
    await sleep(SECOND_CHANGE_AFTER_MS);
  });
  const report = await fleet.stop();
  const figures = (w: Window): ChangeFigures => {
    const v = report.configs.find((c) => c.version === w.version && c.reference === 'change');
    if (!v) throw new Error(`no propagation figures for version ${w.version}`);
    return { ...w, applied: v.applied, propagationMs: v.propagationMs, reportedMs: v.reportedMs };
  };
  const measured = windows.map(figures);
  const byP99 = [...measured].sort((a, b) => a.reportedMs.p99 - b.reportedMs.p99);
  return {
    result: {
      agents,
      changes: measured,
      typical: byP99[Math.floor(byP99.length / 2)].reportedMs,
      second: figures(second),
    },
    report,
  };
}
