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
import type { Actor, FleetContext } from '../context.ts';
import { inTransaction } from '../transaction.ts';
import { FleetError, FleetErrorCode } from '../errors.ts';
import { parseInput } from '../validate.ts';
import { findGroupForUpdate } from '../group-lock.ts';
import { transitionActions } from '../actions.ts';
import { Version } from '../releases.ts';
import { parsePlan, type RolloutPlan } from './plan.ts';
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
    const release = await tx.agentRelease.findUnique({
      where: { version: data.release },
      select: { version: true },
    });
    if (!release) {
      throw new FleetError(
        FleetErrorCode.releaseNotFound,
        `no agent release ${data.release} on this server`,
        [{ path: 'release', message: `unknown release ${data.release}` }],
      );
    }
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
