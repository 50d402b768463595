/**
 * Operator controls of a rollout, each one audited transaction under the rollout's row lock:
 * pause (no new agents; gates still judged), resume (back to running; the stage's soak starts
 * again once it is reached), promote now (skip the rest of the stage and its soak), abort (every
 * reached agent pinned back to the previous version; cancelled), retry (after a halt or revert:
 * the reached agents get the version again and the stage is judged afresh). A group's default
 * plan is saved here too. A control the state machine forbids throws invalid_transition.
 */
import { z } from 'zod';
import { Prisma, type Rollout } from '../../generated/prisma/client.ts';
import type { Actor, FleetContext, Tx } from '../context.ts';
import { FleetError, FleetErrorCode } from '../errors.ts';
import { recordAudit } from '../audit.ts';
import { inTransaction, type Emit } from '../transaction.ts';
import { findGroupForUpdate } from '../group-lock.ts';
import { parseInput } from '../validate.ts';
import { RolloutPlan, storedPlan } from './plan.ts';
import { REACH, type RolloutReach } from './reach.ts';
import { assertMove, moveRollout, refuseMove } from './states.ts';
import { haltRollout, lockRollout, promote, stepRollout } from './driver.ts';

export const RolloutControlInput = z.object({ rolloutId: z.uuid() });
export const SetGroupRolloutPlanInput = z.object({ groupId: z.uuid(), plan: RolloutPlan.nullable() });

type Control = (tx: Tx, emit: Emit, rollout: Rollout, reach: RolloutReach, now: Date) => Promise<unknown>;

async function control(ctx: FleetContext, actor: Actor, input: unknown, work: Control): Promise<Rollout> {
  const { rolloutId } = parseInput(RolloutControlInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const rollout = await lockRollout(tx, rolloutId);
    if (!rollout) throw new FleetError(FleetErrorCode.rolloutNotFound, `no rollout with id ${rolloutId}`);
    const reach = REACH[rollout.kind];
    if (!reach)
      throw new FleetError(FleetErrorCode.invalidTransition, `${rollout.kind} rollouts cannot be controlled`);
    const now = ctx.clock();
    await work(tx, emit, rollout, reach, now);
    await stepRollout(tx, emit, rollout.id, now, ctx.tuning.current.offlineAfterMs, actor);
    return tx.rollout.findUniqueOrThrow({ where: { id: rollout.id } });
  });
}

/** Pause a pending, running or soaking rollout. Throws rollout_not_found or invalid_transition. */
export function pauseRollout(ctx: FleetContext, actor: Actor, input: unknown): Promise<Rollout> {
  return control(ctx, actor, input, (tx, emit, r, _reach, now) =>
    moveRollout(tx, emit, actor, r, { to: 'paused', action: 'rollout.pause', now }),
  );
}

/** Resume a paused rollout; its stage's soak restarts once the stage is reached. Throws like pauseRollout. */
export function resumeRollout(ctx: FleetContext, actor: Actor, input: unknown): Promise<Rollout> {
  return control(ctx, actor, input, (tx, emit, r, _reach, now) => {
    if (r.state !== 'paused') refuseMove(r, 'resume');
    return moveRollout(tx, emit, actor, r, {
      to: 'running',
      action: 'rollout.resume',
      data: { soakEndsAt: null },
      now,
    });
  });
}

/**
 * Promote now: a running or soaking rollout moves to its next stage without waiting (after the last
 * stage it is done). Throws like pauseRollout.
 */
export function promoteRollout(ctx: FleetContext, actor: Actor, input: unknown): Promise<Rollout> {
  return control(ctx, actor, input, (tx, emit, r, reach, now) => {
    if (r.state !== 'running' && r.state !== 'soaking') refuseMove(r, 'promote');
    return promote(tx, emit, actor, r, storedPlan(r.plan), reach, now);
  });
}

/**
 * Abort: stop a rollout in progress and give every agent it reached the previous version back
 * (state cancelled). Throws like pauseRollout.
 */
export function abortRollout(ctx: FleetContext, actor: Actor, input: unknown): Promise<Rollout> {
  return control(ctx, actor, input, (tx, emit, r, reach, now) => {
    assertMove(r, 'cancelled', 'abort');
    return haltRollout(tx, emit, actor, r, reach, {
      revert: true,
      reason: `aborted by ${actor.label}`,
      now,
      to: 'cancelled',
      action: 'rollout.abort',
    });
  });
}

/**
 * Retry after a halt or a revert: every agent the rollout reached (reverted or failed) is given the
 * version again, the gate values are cleared and the current stage runs again, judged afresh (an
 * agent still failing halts it again). A reverted rollout can only be retried while its version is
 * still the group's newest. Throws rollout_not_found or invalid_transition.
 */
export function retryRolloutAgents(ctx: FleetContext, actor: Actor, input: unknown): Promise<Rollout> {
  return control(ctx, actor, input, async (tx, emit, r, reach, now) => {
    if (r.state !== 'halted' && r.state !== 'reverted') refuseMove(r, 'retry');
    if (r.kind === 'config') {
      const group = await tx.group.findUniqueOrThrow({ where: { id: r.groupId! } });
      if (group.latestVersion !== r.version) {
        throw new FleetError(
          FleetErrorCode.invalidTransition,
          `cannot retry: version ${group.latestVersion} was published since`,
        );
      }
    }
    const reached = await tx.rolloutAgent.findMany({
      where: {
        rolloutId: r.id,
        assignedAt: { not: null },
        agent: { groupId: r.groupId ?? undefined, revokedAt: null },
      },
      select: { agentId: true },
    });
    const ids = reached.map((a) => a.agentId);
    await tx.rolloutAgent.updateMany({
      where: { rolloutId: r.id, agentId: { in: ids } },
      data: { assignedAt: now, revertedAt: null },
    });
    await reach.assign(tx, emit, r, ids, now);
    return moveRollout(tx, emit, actor, r, {
      to: 'running',
      action: 'rollout.retry',
      reason: '',
      data: { stageStartedAt: now, soakEndsAt: null, gates: [] as unknown as Prisma.InputJsonValue },
      now,
    });
  });
}

/**
 * Save `input.plan` as the group's default rollout plan (null: all at once), audited as
 * `group.rollout_plan`. Throws validation_failed (naming the plan field) or group_not_found.
 */
export async function setGroupRolloutPlan(
  ctx: FleetContext,
  actor: Actor,
  input: unknown,
): Promise<RolloutPlan | null> {
  const data = parseInput(SetGroupRolloutPlanInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const group = await findGroupForUpdate(tx, data.groupId);
    await tx.group.update({
      where: { id: group.id },
      data: { rolloutPlan: data.plan ? (data.plan as Prisma.InputJsonValue) : Prisma.DbNull },
    });
    await recordAudit(
      tx,
      actor,
      'group.rollout_plan',
      { type: 'group', id: group.id },
      { plan: group.rolloutPlan },
      { plan: data.plan },
    );
    emit('groupUpdated', { groupId: group.id });
    return data.plan;
  });
}
