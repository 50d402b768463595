/**
 * A gate breach → every stage agent reverted, as the server sees it: a staged rollout of a version
 * that a fifth of the simulated agents fail, on a server in this process (PostgreSQL, its rollout
 * job every ROLLOUT_INTERVAL_MS) and BENCH_REVERT_AGENTS simulated agents in a worker process.
 * The breach is the moment the driver halted the rollout (its finishedAt); each reverted agent's
 * time is when the server answered its heartbeat reporting the previous version again. p50 / p99.
 */
import { startFleet } from '../../agent/sim/fleet.ts';
import { exactPercentiles, type Percentiles } from '../../agent/sim/histogram.ts';
import { defaultOptions } from '../../agent/sim/options.ts';
import { startTestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, mintToken } from '../helpers/factories.ts';
import prepareTestTemplates from '../helpers/global-setup.ts';
import { publishChange, rolloutOf } from '../helpers/rollouts.ts';

const AGENTS = Number(process.env.BENCH_REVERT_AGENTS ?? 2000);
const ROLLOUT_INTERVAL_MS = 1000;
const PLAN = {
  stages: [{ percent: 10 }, { percent: 100 }],
  soakSeconds: 300,
  gates: { componentErrorRate: null, throughputDropRatio: null },
};

export interface RolloutRevertResult {
  agents: number;
  stageAgents: number;
  /** Stage agents that had applied the bad version and got the previous one back. */
  reverted: number;
  gate: string;
  breachToRevertedMs: Percentiles;
}

/** States a breaking rollout must not end in (it should revert). */
const ENDED = ['halted', 'done', 'cancelled', 'superseded'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run one breaking rollout to its revert and measure how fast the stage came back. */
export async function benchRolloutRevert(): Promise<RolloutRevertResult> {
  process.env.FLOTILLA_TEST_DB = 'postgres';
  await prepareTestTemplates();
  const server = await startTestServer({
    env: { FLOTILLA_ROLLOUT_INTERVAL_MS: String(ROLLOUT_INTERVAL_MS), FLOTILLA_ENROL_RATE_LIMIT: '1000000' },
  });
  try {
    const group = await createGroupWithPipeline(server.ctx);
    const baseline = group.configVersion;
    const tokens = await Promise.all(
      Array.from({ length: 4 }, () => mintToken(server.ctx, group.id, Math.ceil(AGENTS / 4))),
    );
    const fleet = await startFleet({
      ...defaultOptions(server.baseUrl, tokens, AGENTS),
      hostPrefix: `revert-${process.pid}`,
      processes: 1,
      failShare: 0.2,
      failFromVersion: group.latestVersion + 1,
      telemetry: false,
      download: false,
      enrolConcurrency: 25,
      heartbeatIntervalMs: 30_000,
      longPollSeconds: 50,
    });
    try {
      await fleet.waitFor((s) => (s.versions[String(baseline)]?.applied ?? 0) === AGENTS, 600_000);
      const bad = await publishChange(server.ctx, group.id, PLAN);
      let rollout = await rolloutOf(server.ctx, group.id, bad);
      while (rollout.state !== 'reverted') {
        if (ENDED.includes(rollout.state))
          throw new Error(`the rollout ended ${rollout.state}: ${rollout.reason}`);
        await sleep(50);
        rollout = await rolloutOf(server.ctx, group.id, bad);
      }
      const breachAt = (rollout.finishedAt as Date).getTime();
      fleet.markChange(baseline, breachAt);
      const stage = await server.ctx.db.rolloutAgent.findMany({
        where: { rolloutId: rollout.id, stage: 0 },
        select: { agentId: true },
      });
      // Every agent that applied the bad version (only stage agents were handed it) reports the old one.
      await fleet
        .waitFor(
          (s) => (s.versions[String(baseline)]?.reported ?? 0) >= (s.versions[String(bad)]?.applied ?? 0),
          120_000,
        )
        .catch((error: unknown) => {
          throw new Error(`${String(error)}; versions ${JSON.stringify(fleet.snapshot().versions)}`);
        });
      const report = await fleet.stop();
      const back = report.configs.find((c) => c.version === baseline && c.reference === 'change');
      return {
        agents: AGENTS,
        stageAgents: stage.length,
        reverted: back?.reportedMs.count ?? 0,
        gate: rollout.reason,
        breachToRevertedMs: back?.reportedMs ?? exactPercentiles([]),
      };
    } finally {
      await fleet.stop();
    }
  } finally {
    await server.close();
  }
}

/** One line for `npm run bench`'s summary. */
export function revertLine(r: RolloutRevertResult): string {
  const p = r.breachToRevertedMs;
  return (
    `gate breach → stage reverted (${r.reverted} of ${r.stageAgents} stage agents, ${r.agents} in the group): ` +
    `p50 ${p.p50} ms, p99 ${p.p99} ms as the server sees it (${r.gate})`
  );
}
