/**
 * Upgrade rollouts on an injected clock: stages queue upgrade_agent actions (bulk id: the rollout)
 * within max in flight, agents already on the release are skipped and counted as applied, offline
 * agents get a waiting action when the rollout finishes, and the failure ratio of the actions
 * (failed, or done with another version) halts the rollout without reverting anything; the halt
 * cancels the actions no agent has received yet and lets delivered ones finish (audited).
 */
import { describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { startUpgradeRollout } from '../../api/fleet/rollout/upgrade.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import { deliverActions } from '../../api/fleet/action-delivery.ts';
import { rolloutHarness } from '../helpers/rollout-harness.ts';
import { groupWithAgents, heartbeatAll } from '../helpers/rollouts.ts';

const RELEASE = '2.0.0';

const h = rolloutHarness(async (srv) => {
  await registerRelease(srv.ctx, { version: RELEASE, bundle: Buffer.from('// agent 2.0.0\n') });
});

const { drive, advance } = h;
const rolloutById = (id: string) => h.server.ctx.db.rollout.findUniqueOrThrow({ where: { id } });
const actionsOf = (rolloutId: string) =>
  h.server.ctx.db.action.findMany({ where: { bulkId: rolloutId }, orderBy: { createdAt: 'asc' } });
const NO_TELEMETRY = { componentErrorRate: null, throughputDropRatio: null };

/** Agents `ids` finish their upgrade: on the release (or `version`), action done. */
async function upgraded(rolloutId: string, ids: string[], version = RELEASE) {
  await h.server.ctx.db.agent.updateMany({
    where: { id: { in: ids } },
    data: { agentVersion: version, lastHeartbeatAt: h.now() },
  });
  await h.server.ctx.db.action.updateMany({
    where: { bulkId: rolloutId, agentId: { in: ids } },
    data: { status: 'done', finishedAt: h.now() },
  });
}

describe('an upgrade rollout', () => {
  it('queues upgrade actions stage by stage within max in flight, skips agents on the release, and leaves offline ones a waiting action', async () => {
    const { group, agentIds } = await groupWithAgents(h.server.ctx, 8);
    await h.server.ctx.db.agent.update({ where: { id: agentIds[0] }, data: { agentVersion: RELEASE } });
    await h.server.ctx.db.agent.update({
      where: { id: agentIds[1] },
      data: { lastHeartbeatAt: new Date(0) },
    });
    const rollout = await startUpgradeRollout(h.server.ctx, CLI_ACTOR, {
      groupId: group.id,
      release: RELEASE,
      plan: {
        stages: [{ count: 3 }, { percent: 100 }],
        soakSeconds: 30,
        maxInFlight: { count: 2 },
        revertOnFailure: true,
        gates: NO_TELEMETRY,
      },
    });
    expect(rollout).toMatchObject({ kind: 'upgrade', release: RELEASE, state: 'running', stage: 0 });
    expect((rollout.plan as { revertOnFailure: boolean }).revertOnFailure).toBe(false);
    let actions = await actionsOf(rollout.id);
    expect(actions.map((a) => a.agentId)).not.toContain(agentIds[0]);
    expect(actions.length).toBeLessThanOrEqual(2);
    expect(actions.every((a) => a.type === 'upgrade_agent' && a.status === 'pending')).toBe(true);
    expect(actions[0].payload).toMatchObject({ targetVersion: RELEASE });

    for (let round = 0; round < 20; round++) {
      const state = (await rolloutById(rollout.id)).state;
      if (state === 'done') break;
      actions = await actionsOf(rollout.id);
      const inFlight = actions.filter((a) => a.status === 'pending');
      expect(inFlight.length).toBeLessThanOrEqual(2);
      await upgraded(
        rollout.id,
        inFlight.map((a) => a.agentId),
      );
      advance(30);
      await h.server.ctx.db.agent.updateMany({
        where: { groupId: group.id, id: { not: agentIds[1] } },
        data: { lastHeartbeatAt: h.now() },
      });
      await drive();
    }
    expect((await rolloutById(rollout.id)).state).toBe('done');
    actions = await actionsOf(rollout.id);
    expect(actions).toHaveLength(7);
    expect(actions.find((a) => a.agentId === agentIds[1])?.status).toBe('waiting');
    expect(actions.filter((a) => a.status === 'done')).toHaveLength(6);
  }, 120_000);

  it('halts on the failure ratio of its actions and reverts nothing', async () => {
    const { group } = await groupWithAgents(h.server.ctx, 10);
    const rollout = await startUpgradeRollout(h.server.ctx, CLI_ACTOR, {
      groupId: group.id,
      release: RELEASE,
      plan: {
        stages: [{ count: 4 }, { percent: 100 }],
        gates: { ...NO_TELEMETRY, applyFailedRatio: 0.3 },
      },
    });
    const first = await actionsOf(rollout.id);
    expect(first).toHaveLength(4);
    // One upgrade fails outright, one is done but the agent still runs the old version.
    await h.server.ctx.db.action.update({
      where: { id: first[0].id },
      data: { status: 'failed', finishedAt: h.now() },
    });
    await upgraded(rollout.id, [first[1].agentId], '1.0.0');
    await upgraded(rollout.id, [first[2].agentId]);
    await heartbeatAll(h.server.ctx, group.id);
    await drive();
    const halted = await rolloutById(rollout.id);
    expect(halted.state).toBe('halted');
    expect(halted.reason).toMatch(/gate apply_failed breached in stage 1: 50 % > 30 %/);
    expect(await actionsOf(rollout.id)).toHaveLength(4);
    expect(
      await h.server.ctx.db.rolloutAgent.count({
        where: { rolloutId: rollout.id, revertedAt: { not: null } },
      }),
    ).toBe(0);
    advance(60);
    await heartbeatAll(h.server.ctx, group.id);
    await drive();
    expect(await actionsOf(rollout.id)).toHaveLength(4);
  }, 60_000);

  it('a halt cancels the upgrade actions not yet delivered, leaves delivered and running ones to finish, and audits both counts', async () => {
    const { group } = await groupWithAgents(h.server.ctx, 10);
    const rollout = await startUpgradeRollout(h.server.ctx, CLI_ACTOR, {
      groupId: group.id,
      release: RELEASE,
      plan: { stages: [{ count: 6 }, { percent: 100 }], gates: { ...NO_TELEMETRY, applyFailedRatio: 0.3 } },
    });
    const first = await actionsOf(rollout.id);
    expect(first.map((a) => a.status)).toEqual(Array(6).fill('pending'));
    await h.server.ctx.db.action.updateMany({
      where: { id: { in: [first[0].id, first[1].id] } },
      data: { status: 'failed', finishedAt: h.now() },
    });
    // first[2]: a heartbeat answer carried it; first[3]: its agent reports it running; first[5] waits.
    expect((await deliverActions(h.server.ctx, first[2].agentId, 'http://x')).map((a) => a.id)).toEqual([
      first[2].id,
    ]);
    await h.server.ctx.db.action.update({ where: { id: first[3].id }, data: { status: 'running' } });
    await h.server.ctx.db.action.update({ where: { id: first[5].id }, data: { status: 'waiting' } });
    await heartbeatAll(h.server.ctx, group.id);
    await drive();
    expect((await rolloutById(rollout.id)).state).toBe('halted');
    const statuses = new Map((await actionsOf(rollout.id)).map((a) => [a.id, a.status]));
    expect(first.map((a) => statuses.get(a.id))).toEqual([
      'failed',
      'failed',
      'delivered',
      'running',
      'cancelled',
      'cancelled',
    ]);
    const audit = await h.server.ctx.db.auditEvent.findFirstOrThrow({
      where: { action: 'rollout.halt', targetId: group.id },
    });
    expect(audit.after).toMatchObject({ state: 'halted', actionsCancelled: 2, actionsInFlight: 2 });
  }, 60_000);

  it('rejects an unknown release and supersedes an upgrade in progress, cancelling its undelivered actions', async () => {
    const { group } = await groupWithAgents(h.server.ctx, 4);
    await expect(
      startUpgradeRollout(h.server.ctx, CLI_ACTOR, { groupId: group.id, release: '9.9.9' }),
    ).rejects.toMatchObject({ code: 'release_not_found' });
    const plan = { stages: [{ count: 1 }, { percent: 100 }], gates: NO_TELEMETRY };
    const older = await startUpgradeRollout(h.server.ctx, CLI_ACTOR, {
      groupId: group.id,
      release: RELEASE,
      plan,
    });
    expect(await actionsOf(older.id)).toHaveLength(1);
    const newer = await startUpgradeRollout(h.server.ctx, CLI_ACTOR, {
      groupId: group.id,
      release: RELEASE,
      plan,
    });
    expect(await rolloutById(older.id)).toMatchObject({ state: 'superseded', supersededById: newer.id });
    expect((await actionsOf(older.id)).map((a) => a.status)).toEqual(['cancelled']);
  }, 60_000);
});
