/**
 * Starting kind upgrade rollouts: a staged rollout of an agent release to a group, driven like
 * config rollouts (stages, max in flight, soak, gates); upgrade-reach.ts says what reaching an
 * agent means. The apply_failed gate is the failure-ratio gate of an upgrade (failed, expired,
 * skipped or cancelled actions, and done ones whose agent still reports another version); the
 * silent gate counts agents that went quiet after it. Binaries are never reverted: upgrade plans
 * have revertOnFailure off, and a halt only stops new actions. Agents already on the release are
 * reached at start without an action (counted as applied). Agents offline when their stage ran get
 * their action when the rollout finishes; it waits for them (late-arriver policy deliver) until
 * the action deadline, then expires.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Prisma, type Rollout } from '../../generated/prisma/client.ts';
import type { Actor, FleetContext, Tx } from '../context.ts';
import { agentStatus } from '../agent-status.ts';
import { inTransaction } from '../transaction.ts';
import { FleetError, FleetErrorCode } from '../errors.ts';
import { parseInput } from '../validate.ts';
import { findGroupForUpdate } from '../group-lock.ts';
import { transitionActions } from '../actions.ts';
import { Version } from '../releases.ts';
import { parsePlan, type RolloutPlan } from './plan.ts';
import { PREVIEW_HOSTNAMES, planStages, type StagePreview } from './planner.ts';
import { storeMembership } from './start.ts';
import { ACTIVE_ROLLOUT_STATES, moveRollout } from './states.ts';
import { stepRollout } from './driver.ts';

export const StartUpgradeRolloutInput = z.object({
  groupId: z.uuid(),
  release: Version,
  plan: z.unknown().optional(),
});

/** An upgrade plan: the plan as given, with revertOnFailure off (binaries are not reverted). */
export function upgradePlan(value: unknown): RolloutPlan {
  return { ...parsePlan(value), revertOnFailure: false };
}

/**
 * Start an upgrade rollout of agent release `release` to the agents of group `groupId` with
 * `plan` (the group's agents now, by the planner's stages), by `actor`. An upgrade rollout of the
 * group still in progress is superseded (its actions not yet handed out are cancelled). Fails with
 * validation_failed, group_not_found or release_not_found; nothing is written then.
 */
export async function startUpgradeRollout(ctx: FleetContext, actor: Actor, input: unknown): Promise<Rollout> {
  const data = parseInput(StartUpgradeRolloutInput, input);
  const plan = upgradePlan(data.plan);
  const now = ctx.clock();
  const { offlineAfterMs, actionDeadlineMs } = ctx.tuning.current;
  return inTransaction(ctx, async (tx, emit) => {
    const group = await findGroupForUpdate(tx, data.groupId);
    await assertRelease(tx, data.release);
    const active = await tx.rollout.findFirst({
      where: { groupId: group.id, kind: 'upgrade', state: { in: [...ACTIVE_ROLLOUT_STATES] } },
    });
    const rollout = await tx.rollout.create({
      data: {
        id: randomUUID(),
        groupId: group.id,
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
    if (active) {
      await transitionActions(tx, Prisma.sql`bulk_id = ${active.id}::uuid`, 'cancelled', now, emit);
      await moveRollout(tx, emit, actor, active, {
        to: 'superseded',
        action: 'rollout.supersede',
        reason: `superseded by the upgrade to ${data.release} (started by ${actor.label})`,
        data: { supersededById: rollout.id },
        now,
      });
    }
    emit('rolloutUpdated', { rolloutId: rollout.id, groupId: group.id, state: rollout.state });
    await storeMembership(tx, rollout, plan);
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
  stages: UpgradeStagePreview[];
}

/**
 * What an upgrade rollout of `release` on group `groupId` with `plan` would do now, per stage;
 * writes nothing. Fails with validation_failed, group_not_found or release_not_found.
 */
export async function previewUpgradeRollout(ctx: FleetContext, input: unknown): Promise<UpgradePreview> {
  const data = parseInput(StartUpgradeRolloutInput, input);
  const plan = upgradePlan(data.plan);
  const group = await ctx.db.group.findUnique({ where: { id: data.groupId }, select: { id: true } });
  if (!group) throw new FleetError(FleetErrorCode.groupNotFound, `no group with id ${data.groupId}`);
  await assertRelease(ctx.db, data.release);
  const agents = await ctx.db.agent.findMany({
    where: { groupId: group.id, revokedAt: null },
    select: { id: true, hostname: true, labels: true, lastHeartbeatAt: true, agentVersion: true },
  });
  const now = ctx.clock();
  const { offlineAfterMs, actionDeadlineMs } = ctx.tuning.current;
  const offline = (a: (typeof agents)[number]) =>
    a.agentVersion !== data.release && agentStatus(a.lastHeartbeatAt, now, offlineAfterMs) !== 'online';
  const stages = planStages(group.id, agents, plan).map((members, index) => ({
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
