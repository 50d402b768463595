/**
 * Rollout controls and telemetry gates on an injected clock: pause holds new agents back, resume and
 * promote move on, abort pins every reached agent back (cancelled), retry after a revert gives the
 * version again and judges afresh, forbidden moves are invalid_transition; the component error
 * gate halts on telemetry and is skipped without it; a throughput drop against the hour before
 * halts; agents moving in with `newAgents: new` join the current stage.
 */
import { describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { FleetError } from '../../api/fleet/errors.ts';
import {
  abortRollout,
  pauseRollout,
  promoteRollout,
  resumeRollout,
  retryRolloutAgents,
} from '../../api/fleet/rollout/controls.ts';
import { moveAgents } from '../../api/fleet/agents.ts';
import { rolloutHarness } from '../helpers/rollout-harness.ts';
import {
  groupWithAgents,
  heartbeatAll,
  pinnedTo,
  publishChange,
  report,
  rolloutOf,
} from '../helpers/rollouts.ts';

const h = rolloutHarness();

const { drive, advance } = h;
const NO_TELEMETRY_GATES = { componentErrorRate: null, throughputDropRatio: null };
const TWO_STAGES = { stages: [{ count: 2 }, { percent: 100 }], soakSeconds: 300, gates: NO_TELEMETRY_GATES };

async function refused(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FleetError);
  return (error as FleetError).code;
}

describe('controls', () => {
  it('pause holds new agents back; resume, promote and abort move the machine; bad moves are refused', async () => {
    const { group } = await groupWithAgents(h.server.ctx, 6);
    const version = await publishChange(h.server.ctx, group.id, TWO_STAGES);
    const { id } = await rolloutOf(h.server.ctx, group.id, version);
    const rolloutId = id;
    expect((await pauseRollout(h.server.ctx, CLI_ACTOR, { rolloutId })).state).toBe('paused');
    expect(await refused(pauseRollout(h.server.ctx, CLI_ACTOR, { rolloutId }))).toBe('invalid_transition');
    expect(await refused(promoteRollout(h.server.ctx, CLI_ACTOR, { rolloutId }))).toBe('invalid_transition');
    const stage1 = await pinnedTo(h.server.ctx, group.id, version);
    await report(h.server.ctx, stage1, version);
    await drive();
    expect((await rolloutOf(h.server.ctx, group.id, version)).state).toBe('paused');

    expect((await resumeRollout(h.server.ctx, CLI_ACTOR, { rolloutId })).state).toBe('soaking');
    const promoted = await promoteRollout(h.server.ctx, CLI_ACTOR, { rolloutId });
    expect(promoted).toMatchObject({ state: 'running', stage: 1 });
    expect(await pinnedTo(h.server.ctx, group.id, version)).toHaveLength(6);

    const aborted = await abortRollout(h.server.ctx, CLI_ACTOR, { rolloutId });
    expect(aborted.state).toBe('cancelled');
    expect(await pinnedTo(h.server.ctx, group.id, version)).toEqual([]);
    expect(await pinnedTo(h.server.ctx, group.id, group.configVersion)).toHaveLength(6);
    expect(await refused(resumeRollout(h.server.ctx, CLI_ACTOR, { rolloutId }))).toBe('invalid_transition');
    expect(await refused(abortRollout(h.server.ctx, CLI_ACTOR, { rolloutId: 'nope' }))).toBe(
      'validation_failed',
    );
    const unknown = '00000000-0000-4000-8000-000000000001';
    expect(await refused(abortRollout(h.server.ctx, CLI_ACTOR, { rolloutId: unknown }))).toBe(
      'rollout_not_found',
    );
    const audit = await h.server.ctx.db.auditEvent.findMany({
      where: { targetId: group.id, action: { startsWith: 'rollout.' } },
    });
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['rollout.pause', 'rollout.resume', 'rollout.promote', 'rollout.abort']),
    );
  }, 120_000);

  it('retry after a revert gives the version to the reached agents again and judges the stage afresh', async () => {
    const { group } = await groupWithAgents(h.server.ctx, 6);
    const version = await publishChange(h.server.ctx, group.id, TWO_STAGES);
    const rollout = await rolloutOf(h.server.ctx, group.id, version);
    const stage1 = await pinnedTo(h.server.ctx, group.id, version);
    await report(h.server.ctx, stage1.slice(0, 1), version, 'no such file');
    await drive();
    expect((await rolloutOf(h.server.ctx, group.id, version)).state).toBe('reverted');
    await report(h.server.ctx, stage1, group.configVersion);

    const retried = await retryRolloutAgents(h.server.ctx, CLI_ACTOR, { rolloutId: rollout.id });
    expect(retried).toMatchObject({ state: 'running', reason: '', finishedAt: null });
    expect(await pinnedTo(h.server.ctx, group.id, version)).toEqual(stage1);
    await report(h.server.ctx, stage1, version);
    await drive();
    expect((await rolloutOf(h.server.ctx, group.id, version)).state).toBe('soaking');

    expect(await refused(retryRolloutAgents(h.server.ctx, CLI_ACTOR, { rolloutId: rollout.id }))).toBe(
      'invalid_transition',
    );
  }, 120_000);
});

describe('telemetry gates', () => {
  async function sample(
    agentIds: string[],
    groupId: string,
    rates: { errorsRate?: number; eventsInRate?: number; eventsOutRate?: number },
  ) {
    for (const agentId of agentIds) {
      const data = { groupId, sampledAt: h.now(), bucketStart: h.now(), ...rates };
      await h.server.ctx.db.telemetryLatest.upsert({
        where: { agentId },
        create: { agentId, ...data },
        update: data,
      });
    }
  }

  it('halts on the component error rate of the reached agents, and skips the gate without telemetry', async () => {
    const { group } = await groupWithAgents(h.server.ctx, 6);
    const plan = { ...TWO_STAGES, gates: { componentErrorRate: 0.1, throughputDropRatio: null } };
    const version = await publishChange(h.server.ctx, group.id, plan);
    const stage1 = await pinnedTo(h.server.ctx, group.id, version);
    await drive();
    let rollout = await rolloutOf(h.server.ctx, group.id, version);
    expect(rollout.state).toBe('running');
    expect(rollout.gates).toEqual(
      expect.arrayContaining([{ signal: 'component_error_rate', value: null, threshold: 0.1, ok: true }]),
    );
    advance(30);
    await heartbeatAll(h.server.ctx, group.id);
    await sample(stage1, group.id, { errorsRate: 30, eventsInRate: 100 });
    await drive();
    rollout = await rolloutOf(h.server.ctx, group.id, version);
    expect(rollout.state).toBe('reverted');
    expect(rollout.reason).toMatch(
      /^gate component_error_rate breached in stage 1: 30 % > 10 %: host-\d{4}, host-\d{4}$/,
    );
  }, 120_000);

  it('halts when events out drop against the hour before the stage reached the agents', async () => {
    const { group } = await groupWithAgents(h.server.ctx, 4);
    const before = new Date(h.now().getTime() - 3600_000);
    const version = await publishChange(h.server.ctx, group.id, {
      ...TWO_STAGES,
      gates: { componentErrorRate: null, throughputDropRatio: 0.5 },
    });
    const stage1 = await pinnedTo(h.server.ctx, group.id, version);
    await h.server.ctx.db.telemetryAgentBucket.createMany({
      data: stage1.map((agentId) => ({
        bucket: before,
        agentId,
        samples: 10,
        eventsIn: 30_000n,
        eventsOut: 30_000n,
        errors: 0n,
        discarded: 0n,
        components: [],
      })),
    });
    advance(30);
    await heartbeatAll(h.server.ctx, group.id);
    await sample(stage1, group.id, { eventsOutRate: 80 });
    await drive();
    expect((await rolloutOf(h.server.ctx, group.id, version)).state).toBe('running');
    advance(30);
    await heartbeatAll(h.server.ctx, group.id);
    await sample(stage1, group.id, { eventsOutRate: 10 });
    await drive();
    const rollout = await rolloutOf(h.server.ctx, group.id, version);
    expect(rollout.state).toBe('reverted');
    expect(rollout.reason).toMatch(/^gate throughput_drop breached in stage 1: 90 % > 50 %/);
  }, 120_000);
});

describe('agents moving in', () => {
  it('join the current stage with newAgents new, and lose the pin of their old group', async () => {
    const { group } = await groupWithAgents(h.server.ctx, 4);
    const { group: other, agentIds: others } = await groupWithAgents(h.server.ctx, 2);
    const version = await publishChange(h.server.ctx, group.id, { ...TWO_STAGES, newAgents: 'new' });
    const otherVersion = await publishChange(h.server.ctx, other.id, TWO_STAGES);
    expect(await pinnedTo(h.server.ctx, other.id, otherVersion)).toHaveLength(2);
    await moveAgents(h.server.ctx, CLI_ACTOR, { groupId: group.id, agentIds: [others[0]] });
    expect(await pinnedTo(h.server.ctx, other.id, otherVersion)).toEqual([others[1]]);
    expect(await pinnedTo(h.server.ctx, group.id, version)).toContain(others[0]);
    const member = await h.server.ctx.db.rolloutAgent.findFirstOrThrow({
      where: { agentId: others[0], rollout: { groupId: group.id } },
    });
    expect(member).toMatchObject({ stage: 0, assignedAt: h.now() });
  }, 120_000);
});
