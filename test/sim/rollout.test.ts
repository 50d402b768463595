/**
 * Staged config rollouts end to end: the real server (its rollout job on a fast interval) and
 * 1,000 simulated agents long-polling over HTTP. A good version promotes through three stages to
 * done (baseline moved, pins gone, every agent on it). A three-stage rollout of a version that a fifth of
 * the agents fail (the simulator's --fail-from-version) halts in stage 1 and reverts before the
 * stage's soak is over: every stage-1 agent runs the previous version again as the server sees it,
 * and the simulator's record of every 200 shows that no agent outside stage 1 was ever handed the
 * bad version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../agent/sim/fleet.ts';
import { defaultOptions } from '../../agent/sim/options.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { FLEET_LOCK_WAIT_MS, machineLock } from '../helpers/machine-lock.ts';
import { createGroupWithPipeline, mintToken } from '../helpers/factories.ts';
import { publishChange, rolloutOf } from '../helpers/rollouts.ts';

const AGENTS = 1000;
const FAIL_SHARE = 0.2;
const SOAK_SECONDS = 20;
const STAGES = [{ percent: 5 }, { percent: 30 }, { percent: 100 }];
const GATES = { componentErrorRate: null, throughputDropRatio: null };
const PLAN = { stages: STAGES, soakSeconds: SOAK_SECONDS, gates: GATES };
const HOST_PREFIX = `rollout-${process.pid}`;

let server: TestServer;
let fleet: Fleet;
let releaseFleetLock: (() => Promise<void>) | undefined;
let groupId: string;
let baseline: number;

beforeAll(async () => {
  // One 1,000-agent simulation at a time on this machine: two side by side starve both.
  releaseFleetLock = await machineLock('simulated-fleet', FLEET_LOCK_WAIT_MS);
  server = await startTestServer({
    env: { FLOTILLA_ROLLOUT_INTERVAL_MS: '200', FLOTILLA_ENROL_RATE_LIMIT: '100000' },
  });
  const group = await createGroupWithPipeline(server.ctx);
  groupId = group.id;
  baseline = group.configVersion;
  const tokens = await Promise.all(
    Array.from({ length: 4 }, () => mintToken(server.ctx, group.id, AGENTS / 4)),
  );
  fleet = await startFleet({
    ...defaultOptions(server.baseUrl, tokens, AGENTS),
    hostPrefix: HOST_PREFIX,
    failShare: FAIL_SHARE,
    // The version after the next one is the bad one: the baseline and the next version are good.
    failFromVersion: group.latestVersion + 2,
    recordReceipts: true,
    telemetry: false,
    download: false,
    enrolConcurrency: 25,
  });
  await fleet.waitFor((s) => s.agents.enrolled === AGENTS, 120_000);
  await fleet.waitFor((s) => (s.versions[String(baseline)]?.applied ?? 0) === AGENTS, 60_000);
}, FLEET_LOCK_WAIT_MS + 180_000);

afterAll(async () => {
  await fleet?.stop().catch(() => undefined);
  await server?.close();
  await releaseFleetLock?.();
});

const agentsOf = () =>
  server.ctx.db.agent.findMany({
    where: { groupId },
    select: {
      id: true,
      hostname: true,
      appliedConfigVersion: true,
      deliveredConfigVersion: true,
      configErrorVersion: true,
    },
  });

describe('a staged rollout on 1,000 simulated agents', () => {
  it('promotes a good version through every stage to done: baseline moved, pins gone, every agent on it', async () => {
    const good = await publishChange(server.ctx, groupId, { stages: STAGES, soakSeconds: 1, gates: GATES });
    await expect
      .poll(async () => (await rolloutOf(server.ctx, groupId, good)).state, {
        timeout: 30_000,
        interval: 100,
      })
      .toBe('done');
    const rollout = await rolloutOf(server.ctx, groupId, good);
    expect(rollout).toMatchObject({ stage: 2, previousVersion: baseline });
    const group = await server.ctx.db.group.findUniqueOrThrow({ where: { id: groupId } });
    expect(group).toMatchObject({ configVersion: good, latestVersion: good });
    expect(await server.ctx.db.agentConfigPin.count({ where: { groupId } })).toBe(0);
    await expect
      .poll(async () => (await agentsOf()).filter((a) => a.appliedConfigVersion !== good).length, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe(0);
    baseline = good;
  });

  it('halts and reverts in stage 1 when it breaks; no agent outside stage 1 ever receives the bad version', async () => {
    const bad = await publishChange(server.ctx, groupId, PLAN);
    expect(bad).toBe(baseline + 1);
    await expect
      .poll(async () => (await rolloutOf(server.ctx, groupId, bad)).state, { timeout: 30_000, interval: 100 })
      .toBe('reverted');
    const rollout = await rolloutOf(server.ctx, groupId, bad);
    expect(rollout.stage).toBe(0);
    expect(rollout.reason).toMatch(/fail/i);
    // Within one soak: the stage started (reaching agents) and was reverted before its soak was over.
    const halted = (rollout.finishedAt ?? rollout.updatedAt).getTime();
    expect(halted - (rollout.stageStartedAt as Date).getTime()).toBeLessThan(SOAK_SECONDS * 1000);

    const members = await server.ctx.db.rolloutAgent.findMany({
      where: { rolloutId: rollout.id },
      select: { agentId: true, stage: true, assignedAt: true },
    });
    const stage1 = new Set(members.filter((m) => m.stage === 0).map((m) => m.agentId));
    expect(stage1.size).toBe(AGENTS * 0.05);
    expect(members.filter((m) => m.stage > 0 && m.assignedAt !== null)).toEqual([]);

    // Every stage-1 agent runs the previous version again, as the server sees it (heartbeats).
    await expect
      .poll(
        async () =>
          (await agentsOf()).filter(
            (a) => stage1.has(a.id) && (a.appliedConfigVersion !== baseline || a.configErrorVersion !== null),
          ).length,
        { timeout: 30_000, interval: 200 },
      )
      .toBe(0);

    const agents = await agentsOf();
    const hostOf = new Map(agents.map((a) => [a.id, a.hostname]));
    const stage1Hosts = new Set([...stage1].map((id) => hostOf.get(id)));
    // The server's record: no agent outside stage 1 was last handed the bad version …
    expect(agents.filter((a) => !stage1.has(a.id) && a.deliveredConfigVersion === bad)).toEqual([]);
    // … and the simulator's record of every 200: only stage-1 agents were ever handed it.
    const report = await fleet.stop();
    const receivers = (report.receipts?.[String(bad)] ?? []).map((i) => `${HOST_PREFIX}-${i}`);
    expect(receivers.length).toBeGreaterThan(0);
    expect(receivers.filter((host) => !stage1Hosts.has(host))).toEqual([]);
    // The failing share of stage 1 did fail it (the gate had something to see).
    expect(report.configs.find((c) => c.version === bad)?.failed).toBeGreaterThan(0);
  });
});
