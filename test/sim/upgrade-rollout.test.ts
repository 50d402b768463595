/**
 * Staged upgrade rollouts end to end: the real server (its rollout job on a fast interval) and
 * 400 simulated agents heartbeating over HTTP, which is how upgrade_agent actions reach them. A
 * good release promotes through three stages to done, every agent on it. A release that a fifth of
 * the agents fail to upgrade to (the simulator's failUpgradeTo) halts in stage 1 on the failure
 * ratio: actions exist only for stage-1 agents, only stage-1 agents were ever handed one, the
 * ones not yet handed out when it halted are cancelled, and no agent outside stage 1 runs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../agent/sim/fleet.ts';
import { defaultOptions } from '../../agent/sim/options.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import { startUpgradeRollout } from '../../api/fleet/rollout/upgrade.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { FLEET_LOCK_WAIT_MS, machineLock } from '../helpers/machine-lock.ts';
import { createGroupWithPipeline, mintToken } from '../helpers/factories.ts';

const AGENTS = 400;
const FAIL_SHARE = 0.2;
const GOOD = '0.2.0';
const BAD = '0.3.0';
const STAGE_1_SHARE = 0.1;
const STAGES = [{ percent: STAGE_1_SHARE * 100 }, { percent: 40 }, { percent: 100 }];
/**
 * Only the failure-ratio gate: what this test is about (the others have their own tests). Which
 * agents fail (every fifth simulator index) and which are in stage 1 (a hash of the random agent
 * id) are independent: of stage 1's 40 agents about 8 fail, and the gate breaches from the first
 * failure on (1/40 > 2 %); none failing has a chance of 0.8^40, about 1 in 7,000.
 */
const GATES = {
  componentErrorRate: null,
  throughputDropRatio: null,
  vectorStoppedRatio: null,
  silentRatio: null,
  applyFailedRatio: 0.02,
};
const PLAN = { stages: STAGES, soakSeconds: 1, gates: GATES };

let server: TestServer;
let fleet: Fleet;
let releaseFleetLock: (() => Promise<void>) | undefined;
let groupId: string;

beforeAll(async () => {
  // One large simulation at a time on this machine: two side by side starve both.
  releaseFleetLock = await machineLock('simulated-fleet', FLEET_LOCK_WAIT_MS);
  server = await startTestServer({
    env: { FLOTILLA_ROLLOUT_INTERVAL_MS: '200', FLOTILLA_ENROL_RATE_LIMIT: '100000' },
  });
  for (const version of [GOOD, BAD])
    await registerRelease(server.ctx, { version, bundle: Buffer.from(`// agent ${version}\n`) });
  const group = await createGroupWithPipeline(server.ctx);
  groupId = group.id;
  // Twice the uses needed: under load an enrolment that timed out on the client is retried.
  const tokens = await Promise.all(
    Array.from({ length: 4 }, () => mintToken(server.ctx, group.id, AGENTS / 2)),
  );
  fleet = await startFleet({
    ...defaultOptions(server.baseUrl, tokens, AGENTS),
    hostPrefix: `upgrade-${process.pid}`,
    failShare: FAIL_SHARE,
    failUpgradeTo: BAD,
    // The failing share fails only the upgrade: every config version applies.
    failFromVersion: 2 ** 31 - 1,
    upgradeDelayMs: 100,
    telemetry: false,
    download: false,
    enrolConcurrency: 25,
  });
  await fleet.waitFor((s) => s.agents.enrolled === AGENTS, 120_000);
  const baseline = String(group.configVersion);
  await fleet.waitFor((s) => (s.versions[baseline]?.applied ?? 0) === AGENTS, 60_000);
  // Actions travel in heartbeat answers: a short interval keeps each stage short (set after the
  // enrolment, which the heartbeats would otherwise slow down).
  fleet.retune({ heartbeatIntervalMs: 2000 });
}, FLEET_LOCK_WAIT_MS + 180_000);

afterAll(async () => {
  await fleet?.stop().catch(() => undefined);
  await server?.close();
  await releaseFleetLock?.();
});

const versionsOf = () =>
  server.ctx.db.agent.findMany({ where: { groupId }, select: { id: true, agentVersion: true } });
const rollout = (id: string) => server.ctx.db.rollout.findUniqueOrThrow({ where: { id } });

describe('a staged upgrade rollout on 400 simulated agents', () => {
  it('promotes a good release through every stage to done, every agent on it', async () => {
    const started = await startUpgradeRollout(server.ctx, CLI_ACTOR, { groupId, release: GOOD, plan: PLAN });
    // The reason and the actions' states come along, so a halt or a stall says where it stands.
    const outcome = async () => {
      const r = await rollout(started.id);
      if (r.state === 'done') return 'done';
      const actions = await server.ctx.db.action.groupBy({
        by: ['status'],
        where: { bulkId: started.id },
        _count: true,
      });
      const counts = actions.map((a) => `${a.status} ${a._count}`).join(', ');
      return `${r.state} in stage ${r.stage + 1}: ${r.reason ?? ''} (actions: ${counts})`;
    };
    await expect.poll(outcome, { timeout: 150_000, interval: 200 }).toBe('done');
    expect((await rollout(started.id)).stage).toBe(2);
    await expect
      .poll(async () => (await versionsOf()).filter((a) => a.agentVersion !== GOOD).length, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe(0);
  }, 240_000);

  it('halts in stage 1 on the failure ratio; no agent outside stage 1 ever receives the upgrade', async () => {
    const started = await startUpgradeRollout(server.ctx, CLI_ACTOR, { groupId, release: BAD, plan: PLAN });
    await expect
      .poll(async () => (await rollout(started.id)).state, { timeout: 30_000, interval: 100 })
      .toBe('halted');
    const halted = await rollout(started.id);
    expect(halted.stage).toBe(0);
    expect(halted.reason).toMatch(/apply_failed/);

    const members = await server.ctx.db.rolloutAgent.findMany({
      where: { rolloutId: started.id },
      select: { agentId: true, stage: true, assignedAt: true },
    });
    const stage1 = new Set(members.filter((m) => m.stage === 0).map((m) => m.agentId));
    expect(stage1.size).toBe(AGENTS * STAGE_1_SHARE);
    expect(members.filter((m) => m.stage > 0 && m.assignedAt !== null)).toEqual([]);
    // The server's record: upgrade actions exist for stage-1 agents only, and only those were handed out.
    const actions = await server.ctx.db.action.findMany({ where: { bulkId: started.id } });
    expect(actions.filter((a) => !stage1.has(a.agentId))).toEqual([]);
    const handed = actions.filter((a) => a.deliveredAt !== null);
    expect(handed.length).toBeGreaterThan(0);
    // Not yet handed out when it halted: cancelled, never delivered afterwards.
    expect(actions.filter((a) => a.status === 'cancelled' && a.deliveredAt !== null)).toEqual([]);
    expect(actions.filter((a) => a.status === 'pending' || a.status === 'waiting')).toEqual([]);

    // Stage-1 actions finish; the failing share reported failures, nobody outside stage 1 runs BAD.
    await expect
      .poll(
        async () =>
          (await server.ctx.db.action.count({
            where: { bulkId: started.id, status: { in: ['delivered', 'running'] } },
          })) === 0,
        { timeout: 30_000, interval: 200 },
      )
      .toBe(true);
    const final = await server.ctx.db.action.findMany({ where: { bulkId: started.id } });
    expect(final.filter((a) => a.status === 'failed').length).toBeGreaterThan(0);
    const versions = await versionsOf();
    expect(versions.filter((a) => !stage1.has(a.id) && a.agentVersion === BAD)).toEqual([]);
    // The simulator's record (distinct action ids its agents received): one upgrade per agent for
    // the good release, and for the bad one exactly the stage-1 actions the server handed out.
    const report = await fleet.stop();
    expect(report.actions.received).toBe(AGENTS + handed.length);
  }, 120_000);
});
