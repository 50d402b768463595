/**
 * The rollout driver on an injected clock (no sleeps): a staged rollout pins stage by stage within
 * max in flight, soaks, promotes and finishes (baseline moved, pins gone, configPublished once);
 * all at once behaves as before rollouts; a gate breach halts and reverts naming gate and agents;
 * a newer publish supersedes; settled revert pins are dropped.
 */
import { describe, expect, it } from 'vitest';
import type { FleetEvents } from '../../api/fleet/events.ts';
import { rolloutHarness } from '../helpers/rollout-harness.ts';
import {
  groupWithAgents,
  pinnedTo,
  publishChange,
  report,
  rolloutOf,
  heartbeatAll,
} from '../helpers/rollouts.ts';

const h = rolloutHarness();

const { drive, advance } = h;
const groupOf = (id: string) => h.server.ctx.db.group.findUniqueOrThrow({ where: { id } });

const THREE_STAGES = {
  stages: [{ count: 2 }, { percent: 50 }, { percent: 100 }],
  soakSeconds: 60,
  gates: { componentErrorRate: null, throughputDropRatio: null },
};

describe('a staged rollout', () => {
  it('reaches stage by stage, soaks, promotes and finishes with the baseline moved and no pins left', async () => {
    const { group, agentIds } = await groupWithAgents(h.server.ctx, 10);
    const published: FleetEvents['configPublished'][] = [];
    const off = h.server.events.subscribe(
      'configPublished',
      (e) => e.groupId === group.id && published.push(e),
    );
    const version = await publishChange(h.server.ctx, group.id, THREE_STAGES);
    expect(await groupOf(group.id)).toMatchObject({
      configVersion: group.configVersion,
      latestVersion: version,
    });
    let rollout = await rolloutOf(h.server.ctx, group.id, version);
    expect(rollout).toMatchObject({ state: 'running', stage: 0, previousVersion: group.configVersion });
    const stage1 = await pinnedTo(h.server.ctx, group.id, version);
    expect(stage1).toHaveLength(2);

    await drive();
    expect((await rolloutOf(h.server.ctx, group.id, version)).state).toBe('running');
    await report(h.server.ctx, stage1, version);
    await drive();
    rollout = await rolloutOf(h.server.ctx, group.id, version);
    expect(rollout.state).toBe('soaking');
    expect(rollout.soakEndsAt).toEqual(new Date(h.now().getTime() + 60_000));

    advance(59);
    await heartbeatAll(h.server.ctx, group.id);
    await drive();
    expect((await rolloutOf(h.server.ctx, group.id, version)).state).toBe('soaking');
    advance(1);
    await drive();
    rollout = await rolloutOf(h.server.ctx, group.id, version);
    expect(rollout).toMatchObject({ state: 'running', stage: 1 });
    const upTo2 = await pinnedTo(h.server.ctx, group.id, version);
    expect(upTo2).toHaveLength(5);
    expect(upTo2).toEqual(expect.arrayContaining(stage1));

    await report(h.server.ctx, upTo2, version);
    await drive();
    advance(60);
    await heartbeatAll(h.server.ctx, group.id);
    await drive();
    expect(await pinnedTo(h.server.ctx, group.id, version)).toHaveLength(10);
    expect(published).toEqual([]);

    await report(h.server.ctx, agentIds, version);
    await drive();
    advance(60);
    await heartbeatAll(h.server.ctx, group.id);
    await drive();
    rollout = await rolloutOf(h.server.ctx, group.id, version);
    expect(rollout).toMatchObject({ state: 'done', stage: 2 });
    expect(rollout.finishedAt).toEqual(h.now());
    expect((await groupOf(group.id)).configVersion).toBe(version);
    expect(await h.server.ctx.db.agentConfigPin.count({ where: { groupId: group.id } })).toBe(0);
    expect(published).toEqual([{ groupId: group.id, version }]);
    const audit = await h.server.ctx.db.auditEvent.findMany({
      where: { targetId: group.id, action: { startsWith: 'rollout.' } },
      orderBy: { createdAt: 'asc' },
    });
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['rollout.start', 'rollout.soak', 'rollout.promote', 'rollout.done']),
    );
    off();
  }, 120_000);

  it('keeps at most maxInFlight agents reached but not applied, and does not wait for offline agents', async () => {
    const { group, agentIds } = await groupWithAgents(h.server.ctx, 6);
    await h.server.ctx.db.agent.update({
      where: { id: agentIds[0] },
      data: { lastHeartbeatAt: new Date(0) },
    });
    const version = await publishChange(h.server.ctx, group.id, {
      stages: [{ percent: 100 }],
      soakSeconds: 30,
      maxInFlight: { count: 2 },
      gates: { silentRatio: null, componentErrorRate: null, throughputDropRatio: null },
    });
    for (let round = 0; round < 3; round++) {
      const reachable = Math.min(2 * (round + 1), 5);
      const pinned = await pinnedTo(h.server.ctx, group.id, version);
      expect(pinned).toHaveLength(reachable);
      expect(pinned).not.toContain(agentIds[0]);
      await drive();
      expect(await pinnedTo(h.server.ctx, group.id, version)).toHaveLength(reachable);
      await report(h.server.ctx, pinned, version);
      await drive();
    }
    expect((await rolloutOf(h.server.ctx, group.id, version)).state).toBe('soaking');
    expect(await pinnedTo(h.server.ctx, group.id, version)).not.toContain(agentIds[0]);
  }, 120_000);
});

describe('all at once', () => {
  it('moves the baseline at once and emits configPublished, as before rollouts; the rollout is done', async () => {
    const { group } = await groupWithAgents(h.server.ctx, 3);
    const published: FleetEvents['configPublished'][] = [];
    const off = h.server.events.subscribe(
      'configPublished',
      (e) => e.groupId === group.id && published.push(e),
    );
    const version = await publishChange(h.server.ctx, group.id);
    off();
    expect(version).toBe(group.configVersion + 1);
    expect(await groupOf(group.id)).toMatchObject({ configVersion: version, latestVersion: version });
    expect(published).toEqual([{ groupId: group.id, version }]);
    expect(await rolloutOf(h.server.ctx, group.id, version)).toMatchObject({ state: 'done' });
    expect(await h.server.ctx.db.agentConfigPin.count({ where: { groupId: group.id } })).toBe(0);
  }, 120_000);
});

describe('gates', () => {
  it('halts and reverts on failed applies, naming the gate, its value, threshold and agents', async () => {
    const { group } = await groupWithAgents(h.server.ctx, 10);
    const version = await publishChange(h.server.ctx, group.id, THREE_STAGES);
    const stage1 = await pinnedTo(h.server.ctx, group.id, version);
    await report(h.server.ctx, stage1.slice(0, 1), version, 'sink: 403 Forbidden');
    await drive();
    const rollout = await rolloutOf(h.server.ctx, group.id, version);
    expect(rollout.state).toBe('reverted');
    expect(rollout.reason).toMatch(/^gate apply_failed breached in stage 1: 50 % > 5 %: host-\d{4}$/);
    expect(await pinnedTo(h.server.ctx, group.id, version)).toEqual([]);
    expect(await pinnedTo(h.server.ctx, group.id, group.configVersion)).toEqual(stage1);
    expect((await groupOf(group.id)).configVersion).toBe(group.configVersion);

    // The reverted agents run the previous version again: their pins go once settled.
    await report(h.server.ctx, stage1, group.configVersion);
    await drive();
    expect(await pinnedTo(h.server.ctx, group.id, group.configVersion)).toEqual(stage1);
    advance(60);
    await drive();
    expect(await h.server.ctx.db.agentConfigPin.count({ where: { groupId: group.id } })).toBe(0);
  }, 120_000);

  it('halts without reverting when the plan says so, and counts silent agents', async () => {
    const { group } = await groupWithAgents(h.server.ctx, 10);
    const version = await publishChange(h.server.ctx, group.id, { ...THREE_STAGES, revertOnFailure: false });
    const stage1 = await pinnedTo(h.server.ctx, group.id, version);
    advance(91);
    await drive();
    const rollout = await rolloutOf(h.server.ctx, group.id, version);
    expect(rollout.state).toBe('halted');
    expect(rollout.reason).toMatch(/^gate silent breached in stage 1: 100 % > 10 %/);
    expect(await pinnedTo(h.server.ctx, group.id, version)).toEqual(stage1);
    expect(rollout.gates).toEqual(
      expect.arrayContaining([{ signal: 'silent', value: 1, threshold: 0.1, ok: false }]),
    );
  }, 120_000);
});

describe('supersede', () => {
  it('a newer publish supersedes the rollout in progress; its agents go back to the baseline', async () => {
    const { group } = await groupWithAgents(h.server.ctx, 10);
    const first = await publishChange(h.server.ctx, group.id, THREE_STAGES);
    const stage1 = await pinnedTo(h.server.ctx, group.id, first);
    const second = await publishChange(h.server.ctx, group.id, {
      ...THREE_STAGES,
      stages: [{ count: 1 }, { percent: 100 }],
    });
    const old = await rolloutOf(h.server.ctx, group.id, first);
    const next = await rolloutOf(h.server.ctx, group.id, second);
    expect(old).toMatchObject({ state: 'superseded', supersededById: next.id });
    expect(old.reason).toContain(`superseded by version ${second}`);
    expect(next.state).toBe('running');
    const pinnedSecond = await pinnedTo(h.server.ctx, group.id, second);
    expect(pinnedSecond).toHaveLength(1);
    expect(await pinnedTo(h.server.ctx, group.id, first)).toEqual([]);
    const back = await pinnedTo(h.server.ctx, group.id, group.configVersion);
    expect(back.sort()).toEqual(stage1.filter((id) => !pinnedSecond.includes(id)).sort());
  }, 120_000);
});
