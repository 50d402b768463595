/**
 * Propagation: a config change (an operator's GraphQL mutation) → every long-polling agent of the
 * fleet applied it. Times are from the moment the mutation was sent to each agent's apply, per
 * agent (the simulator records them); p50 / p99 over the fleet, for a few changes in a row.
 */
import type { Percentiles } from '../../agent/sim/histogram.ts';
import type { Fleet } from '../../agent/sim/fleet.ts';
import type { FleetReport } from '../../agent/sim/report.ts';
import { cpuBetween, sampleCpu, type CpuUse } from './cpu.ts';
import type { BenchServer } from './fleet-server.ts';

export const PROPAGATION_P99_TARGET_MS = 2000;

export interface PropagationResult {
  agents: number;
  changes: {
    version: number;
    applied: number;
    propagationMs: Percentiles;
    /** Mutation sent → the first agent got the new config: the fixed part (publish, wake-up). */
    firstReceivedMs: number;
    /** CPU from the mutation to the last agent's apply: where the time goes. */
    cpu: CpuUse & { simPercent: number; windowMs: number };
  }[];
  /** The change with the median p99, as the headline figure. */
  typical: Percentiles;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Publish `changes` versions one after another, each once the previous one reached every agent
 * and the polls are held again; then stop the fleet and read the per-agent times from its report.
 */
export async function benchPropagation(
  server: BenchServer,
  fleet: Fleet,
  changes = 3,
): Promise<{ result: PropagationResult; report: FleetReport }> {
  const agents = fleet.snapshot().agents.enrolled;
  fleet.retune({ heartbeatIntervalMs: 30_000, longPollSeconds: 50 });
  const holding = () =>
    fleet.waitFor((s) => (s.requests.inFlight['config-wait'] ?? 0) >= agents * 0.995, 60_000);
  const windows = new Map<
    number,
    { cpu: PropagationResult['changes'][number]['cpu']; firstReceivedMs: number }
  >();
  for (let i = 0; i < changes; i++) {
    await holding();
    await sleep(2000);
    const [before, cpuBefore] = [fleet.snapshot(), await sampleCpu(server.pid)];
    const { version, at } = await server.publish();
    fleet.markChange(version, at);
    const after = await fleet.waitFor((s) => (s.versions[String(version)]?.applied ?? 0) >= agents, 60_000);
    const cpu = cpuBetween(cpuBefore, await sampleCpu(server.pid));
    const windowMs = after.at - before.at;
    const simPercent = Math.round((after.process.cpuMicros - before.process.cpuMicros) / 10 / windowMs);
    const firstReceivedMs = (after.versions[String(version)]?.firstReceivedAt ?? at) - at;
    windows.set(version, { cpu: { ...cpu, simPercent, windowMs }, firstReceivedMs });
  }
  const report = await fleet.stop();
  const measured = [...windows].map(([version, { cpu, firstReceivedMs }]) => {
    const v = report.configs.find((c) => c.version === version && c.reference === 'change');
    if (!v) throw new Error(`no propagation figures for version ${version}`);
    return { version, applied: v.applied, propagationMs: v.propagationMs, firstReceivedMs, cpu };
  });
  const byP99 = [...measured].sort((a, b) => a.propagationMs.p99 - b.propagationMs.p99);
  return {
    result: { agents, changes: measured, typical: byP99[Math.floor(byP99.length / 2)].propagationMs },
    report,
  };
}
