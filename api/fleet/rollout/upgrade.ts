/**
 * Starting kind upgrade rollouts: a staged rollout of an agent release to a group or to a selection
 * of agents (upgrade-targets.ts), driven like
 * config rollouts (stages, max in flight, soak, gates); upgrade-reach.ts says what reaching an
 * agent means. The apply_failed gate is the failure-ratio gate of an upgrade (failed, expired or
 * skipped actions, and done ones whose agent still reports another version); the silent gate
 * counts agents that went quiet after it. Binaries are never reverted: upgrade plans have
 * revertOnFailure off; a halt stops new actions and cancels the queued ones not yet delivered
 * (audited with the halt; delivered and running ones finish and are counted). Agents already on the release are
 * reached at start without an action (counted as applied). Agents offline when their stage ran get
 * their action when the rollout finishes; it waits for them (late-arriver policy deliver) until
 * the action deadline, then expires.
 */
import { randomUUID } from 'node:crypto';
import { Prisma, type Rollout } from '../../generated/prisma/client.ts';
import type { Actor, FleetContext, Tx } from '../context.ts';
import { agentStatus } from '../agent-status.ts';
import { inTransaction } from '../transaction.ts';
import { FleetError, FleetErrorCode } from '../errors.ts';
import { parseInput } from '../validate.ts';
import { transitionActions } from '../action-states.ts';
import { parsePlan, type RolloutPlan } from './plan.ts';
import { PREVIEW_HOSTNAMES, planStages, type StagePreview } from './planner.ts';
import { storeMembership } from './start.ts';
import { moveRollout } from './states.ts';
import { stepRollout } from './driver.ts';
import { planSeed } from './scope.ts';
import { StartUpgradeRolloutInput, overlappingUpgrades, upgradeTargets } from './upgrade-targets.ts';

export { StartUpgradeRolloutInput };

/** An upgrade plan: the plan as given, with revertOnFailure off (binaries are not reverted). */
export function upgradePlan(value: unknown): RolloutPlan {
  return { ...parsePlan(value), revertOnFailure: false };
}

/**
 * Start an upgrade rollout of agent release `release` with `plan` (the planner's stages) by `actor`,
 * to the agents of group `groupId`, or to a selection: `agentIds`, or every agent matching `filter`
 * now (its members are fixed at start). Upgrade rollouts in progress on the group or on any of the
 * agents are superseded (their actions not yet handed out are cancelled). Fails with
 * validation_failed, group_not_found, agent_not_found, too_many_agents or release_not_found;
 * nothing is written then.
 */
export async function startUpgradeRollout(ctx: FleetContext, actor: Actor, input: unknown): Promise<Rollout> {
  const data = parseInput(StartUpgradeRolloutInput, input);
  const plan = upgradePlan(data.plan);
  const now = ctx.clock();
  const { offlineAfterMs, actionDeadlineMs } = ctx.tuning.current;
  return inTransaction(ctx, async (tx, emit) => {
    const targets = await upgradeTargets(tx, data, now, offlineAfterMs, true);
    await assertRelease(tx, data.release);
    const active = await overlappingUpgrades(tx, targets);
    const rollout = await tx.rollout.create({
      data: {
        id: randomUUID(),
        groupId: targets.groupId,
        selection: targets.selection ?? Prisma.DbNull,
        kind: 'upgrade',
        release: data.release,
        actionDeadlineSeconds: Math.ceil(actionDeadlineMs / 1000),
        plan: plan as unknown as Prisma.InputJsonValue,
        state: 'pending',
        stageStartedAt: now,
        createdById: actor.type === 'user' || actor.type === 'api_token' ? actor.id : null,
        createdBy: actor.label,
      },
    });
    for (const id of active) {
      await transitionActions(tx, Prisma.sql`bulk_id = ${id}::uuid`, 'cancelled', now, emit);
      await moveRollout(tx, emit, actor, await tx.rollout.findUniqueOrThrow({ where: { id } }), {
        to: 'superseded',
        action: 'rollout.supersede',
        reason: `superseded by the upgrade to ${data.release} (started by ${actor.label})`,
        data: { supersededById: rollout.id },
        now,
      });
    }
    emit('rolloutUpdated', { rolloutId: rollout.id, groupId: rollout.groupId, state: rollout.state });
    await storeMembership(tx, rollout, plan, targets.agents);
    // Already on the release: reached without an action, counted as applied.
    await tx.$executeRaw`
      UPDATE rollout_agents ra SET assigned_at = ${now} FROM agents a
      WHERE ra.rollout_id = ${rollout.id}::uuid AND a.id = ra.agent_id AND a.agent_version = ${data.release}`;
    await stepRollout(tx, emit, rollout.id, now, offlineAfterMs, actor);
    return tx.rollout.findUniqueOrThrow({ where: { id: rollout.id } });
  });
}

/** One stage of an upgrade preview. */
export interface UpgradeStagePreview extends StagePreview {
  /** Of them, how many already run the release (skipped, counted as done). */
  onRelease: number;
}

/** What starting an upgrade rollout would do now. */
export interface UpgradePreview {
  agents: number;
  /** Already on the release: no action, counted as done. */
  onRelease: number;
  /** Offline or never seen now (and not on the release). */
  offline: number;
  /** What happens to those offline agents, for people. */
  offlineOutcome: string;
  /** Upgrade rollouts in progress that starting this one would supersede (same group or agents). */
  supersedes: number;
  stages: UpgradeStagePreview[];
}

/**
 * What an upgrade rollout of `release` with `plan` on a group or a selection (as
 * startUpgradeRollout takes them) would do now, per stage; writes nothing. Fails like
 * startUpgradeRollout.
 */
export async function previewUpgradeRollout(ctx: FleetContext, input: unknown): Promise<UpgradePreview> {
  const data = parseInput(StartUpgradeRolloutInput, input);
  const plan = upgradePlan(data.plan);
  const now = ctx.clock();
  const { offlineAfterMs, actionDeadlineMs } = ctx.tuning.current;
  const targets = await upgradeTargets(ctx.db, data, now, offlineAfterMs, false);
  const { groupId, agents } = targets;
  await assertRelease(ctx.db, data.release);
  const supersedes = (await overlappingUpgrades(ctx.db, targets)).length;
  const offline = (a: (typeof agents)[number]) =>
    a.agentVersion !== data.release && agentStatus(a.lastHeartbeatAt, now, offlineAfterMs) !== 'online';
  const stages = planStages(planSeed({ groupId }), agents, plan).map((members, index) => ({
    index,
    size: members.length,
    offline: members.filter(offline).length,
    onRelease: members.filter((a) => a.agentVersion === data.release).length,
    hostnames: members.slice(0, PREVIEW_HOSTNAMES).map((a) => a.hostname),
  }));
  const hours = Math.round((actionDeadlineMs / 3_600_000) * 10) / 10;
  return {
    agents: agents.length,
    onRelease: stages.reduce((n, s) => n + s.onRelease, 0),
    offline: stages.reduce((n, s) => n + s.offline, 0),
    offlineOutcome:
      'The rollout does not wait for offline agents: each stage reaches the agents online then. ' +
      'Agents still offline when the rollout finishes get their upgrade action then; it waits for ' +
      `them and is delivered when they come back within the action deadline (${hours} h), else it expires.`,
    supersedes,
    stages,
  };
}

async function assertRelease(db: Pick<Tx, 'agentRelease'>, release: string): Promise<void> {
  const found = await db.agentRelease.findUnique({ where: { version: release }, select: { version: true } });
  if (!found) {
    throw new FleetError(FleetErrorCode.releaseNotFound, `no agent release ${release} on this server`, [
      { path: 'release', message: `unknown release ${release}` },
    ]);
  }
}
