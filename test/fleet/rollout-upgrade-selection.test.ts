/**
 * Upgrade rollouts over an agent selection (no group), on an injected clock: by ids across two
 * groups, or by a filter resolved like every bulk request. The preview and the start agree on the
 * stages; members stay members when they move group; agents on the release are skipped; a new
 * upgrade on some of the same agents supersedes the one in progress; a bad target is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { driveRollouts } from '../../api/fleet/rollout/driver.ts';
import { previewUpgradeRollout, startUpgradeRollout } from '../../api/fleet/rollout/upgrade.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import { FleetErrorCode } from '../../api/fleet/errors.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { groupWithAgents } from '../helpers/rollouts.ts';

let server: TestServer;
let now = new Date('2026-12-06T10:00:00Z');
const advance = (seconds: number) => (now = new Date(now.getTime() + seconds * 1000));
const RELEASE = '2.1.0';
const PLAN = { stages: [{ count: 2 }, { percent: 100 }], soakSeconds: 10, revertOnFailure: true };

beforeAll(async () => {
  server = await startTestServer({ clock: () => now, env: { FLOTILLA_ROLLOUT_INTERVAL_MS: '600000' } });
  await registerRelease(server.ctx, { version: RELEASE, bundle: Buffer.from('// agent 2.1.0\n') });
});
afterAll(() => server.close());

const drive = () =>
  driveRollouts(server.ctx, (id, error) => {
    throw new Error(`rollout ${id} failed: ${String(error)}`);
  });
const actionsOf = (rolloutId: string) => server.ctx.db.action.findMany({ where: { bulkId: rolloutId } });
const membersOf = async (rolloutId: string) =>
  (await server.ctx.db.rolloutAgent.findMany({ where: { rolloutId }, orderBy: { stage: 'asc' } })).map(
    (m) => [m.agentId, m.stage] as const,
  );

describe('an upgrade rollout over a selection', () => {
  it('by ids across groups: preview and start agree, skips agents on the release, and promotes with moved members', async () => {
    const a = await groupWithAgents(server.ctx, 3);
    const b = await groupWithAgents(server.ctx, 3);
    const ids = [...a.agentIds, ...b.agentIds.slice(0, 2)];
    await server.ctx.db.agent.update({ where: { id: ids[0] }, data: { agentVersion: RELEASE } });
    await server.ctx.db.agent.update({ where: { id: ids[1] }, data: { lastHeartbeatAt: null } });

    const input = { agentIds: ids, release: RELEASE, plan: PLAN };
    const preview = await previewUpgradeRollout(server.ctx, input);
    expect(preview).toMatchObject({ agents: 5, onRelease: 1, offline: 1 });
    expect(preview.stages.map((s) => s.size)).toEqual([2, 3]);
    expect(await previewUpgradeRollout(server.ctx, input)).toEqual(preview);

    const rollout = await startUpgradeRollout(server.ctx, CLI_ACTOR, input);
    expect(rollout).toMatchObject({ kind: 'upgrade', groupId: null, selection: { agentIds: 5 } });
    const members = await membersOf(rollout.id);
    expect(members.map(([id]) => id).sort()).toEqual([...ids].sort());
    expect(members.filter(([, stage]) => stage === 0)).toHaveLength(preview.stages[0].size);
    expect((await actionsOf(rollout.id)).map((x) => x.agentId)).not.toContain(ids[0]);

    // A member moving group stays a member of a selection rollout.
    await server.ctx.db.agent.update({ where: { id: ids[4] }, data: { groupId: a.group.id } });
    for (let round = 0; round < 10; round++) {
      const current = await server.ctx.db.rollout.findUniqueOrThrow({ where: { id: rollout.id } });
      if (current.state === 'done') break;
      const pending = (await actionsOf(rollout.id)).filter((x) => x.status === 'pending');
      const reached = pending.map((x) => x.agentId);
      await server.ctx.db.agent.updateMany({
        where: { id: { in: [...reached, ...ids.filter((id) => id !== ids[1])] } },
        data: { lastHeartbeatAt: now },
      });
      await server.ctx.db.agent.updateMany({
        where: { id: { in: reached } },
        data: { agentVersion: RELEASE },
      });
      await server.ctx.db.action.updateMany({
        where: { bulkId: rollout.id, agentId: { in: reached } },
        data: { status: 'done', finishedAt: now },
      });
      advance(11);
      await drive();
    }
    const done = await server.ctx.db.rollout.findUniqueOrThrow({ where: { id: rollout.id } });
    expect(done.state).toBe('done');
    // The offline member got a waiting action when the rollout finished.
    const offline = (await actionsOf(rollout.id)).find((x) => x.agentId === ids[1]);
    expect(offline?.status).toBe('waiting');
  });

  it('by filter: resolves it like a bulk request, stores it, and supersedes an upgrade in progress on the same agents', async () => {
    const g = await groupWithAgents(server.ctx, 4, (i) => ({ tier: i < 3 ? 'edge' : 'core' }));
    const byGroup = await startUpgradeRollout(server.ctx, CLI_ACTOR, {
      groupId: g.group.id,
      release: RELEASE,
      plan: { stages: [{ count: 1 }, { percent: 100 }], soakSeconds: 600 },
    });
    const filter = { groupIds: [g.group.id], labels: [{ key: 'tier', value: 'edge' }] };
    const preview = await previewUpgradeRollout(server.ctx, { filter, release: RELEASE, plan: PLAN });
    expect(preview.agents).toBe(3);
    expect(preview.supersedes).toBe(1);
    const rollout = await startUpgradeRollout(server.ctx, CLI_ACTOR, {
      filter,
      release: RELEASE,
      plan: PLAN,
    });
    expect(rollout.selection).toMatchObject({ filter: { labels: [{ key: 'tier', value: 'edge' }] } });
    expect((await membersOf(rollout.id)).length).toBe(3);
    const old = await server.ctx.db.rollout.findUniqueOrThrow({ where: { id: byGroup.id } });
    expect(old).toMatchObject({ state: 'superseded', supersededById: rollout.id });
    expect((await actionsOf(byGroup.id)).every((x) => x.status === 'cancelled')).toBe(true);
  });

  it('refuses no target, two targets, a filter matching nothing and unknown ids, writing nothing', async () => {
    const g = await groupWithAgents(server.ctx, 1);
    const before = await server.ctx.db.rollout.count();
    const refused = async (input: object, code: string) =>
      expect(
        startUpgradeRollout(server.ctx, CLI_ACTOR, { release: RELEASE, ...input }),
      ).rejects.toMatchObject({
        code,
      });
    await refused({}, FleetErrorCode.validationFailed);
    await refused({ groupId: g.group.id, agentIds: g.agentIds }, FleetErrorCode.validationFailed);
    await refused({ filter: { hostname: 'no-such-host' } }, FleetErrorCode.validationFailed);
    await refused({ agentIds: [crypto.randomUUID()] }, FleetErrorCode.agentNotFound);
    expect(await server.ctx.db.rollout.count()).toBe(before);
  });
});
