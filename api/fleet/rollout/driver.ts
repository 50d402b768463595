/**
 * The rollout driver: one round advances every rollout in progress, each in its own transaction
 * under its row lock. A step judges the current stage with the gates (a breach halts, and reverts
 * when the plan says so), reaches the stage's waiting online agents up to max in flight, goes
 * soaking once nothing of the stage is waiting or in flight, and after the soak promotes to the
 * next stage or, after the last, finishes (the kind's finish: for configs the baseline moves and
 * the rollout's pins go). Offline agents are not waited for: they get the version when the rollout
 * is done. Times come from the caller (the fleet's injected clock).
 */
import type { Prisma, Rollout } from '../../generated/prisma/client.ts';
import { SYSTEM_ACTOR, type Actor, type FleetContext, type Tx } from '../context.ts';
import { inTransaction, type Emit } from '../transaction.ts';
import { onlineSince } from '../agent-status.ts';
import { DEFAULT_HEARTBEAT_INTERVAL_SECONDS } from '../../protocol/v1.ts';
import { maxInFlightOf, stageSoakSeconds, storedPlan, type RolloutPlan } from './plan.ts';
import { REACH, type RolloutReach } from './reach.ts';
import { stageProgress } from './progress.ts';
import { breachReason, evaluateGates, type GateVerdict } from './gates.ts';
import { DRIVEN_ROLLOUT_STATES, moveRollout } from './states.ts';
import { inScope, planSeed } from './scope.ts';

/**
 * Run one round: step every rollout the driver works on, then drop pins that pin agents to the
 * baseline they already run. A rollout whose step fails is left for the next round (`onError`).
 */
export async function driveRollouts(
  ctx: FleetContext,
  onError: (rolloutId: string, error: unknown) => void = () => undefined,
): Promise<void> {
  const now = ctx.clock();
  const rollouts = await ctx.db.rollout.findMany({
    where: { state: { in: [...DRIVEN_ROLLOUT_STATES] } },
    select: { id: true },
    orderBy: { createdAt: 'asc' },
  });
  for (const { id } of rollouts) {
    try {
      await inTransaction(ctx, (tx, emit) =>
        stepRollout(tx, emit, id, now, ctx.tuning.current.offlineAfterMs),
      );
    } catch (error) {
      onError(id, error);
    }
  }
  await inTransaction(ctx, (tx, emit) => dropSettledPins(tx, emit, now));
}

/**
 * Whether a round has anything to do: a rollout the driver works on, or a config pin (which may
 * be settled). Rejects only on database errors.
 */
export async function rolloutsDue(ctx: FleetContext): Promise<boolean> {
  const driven = await ctx.db.rollout.findFirst({
    where: { state: { in: [...DRIVEN_ROLLOUT_STATES] } },
    select: { id: true },
  });
  return driven !== null || (await ctx.db.agentConfigPin.findFirst({ select: { agentId: true } })) !== null;
}

/** Lock and read rollout `id`; null when it is gone. */
export async function lockRollout(tx: Tx, id: string): Promise<Rollout | null> {
  await tx.$queryRaw`SELECT id FROM rollouts WHERE id = ${id}::uuid FOR UPDATE`;
  return tx.rollout.findUnique({ where: { id } });
}

/**
 * Advance rollout `id` as far as it can go at `now` (several moves at once when stages need no
 * waiting), as `actor` (the system, or whoever started or retried it). Does nothing for a rollout
 * the driver does not work on. Rejects only on database errors.
 */
export async function stepRollout(
  tx: Tx,
  emit: Emit,
  id: string,
  now: Date,
  offlineAfterMs: number,
  actor: Actor = SYSTEM_ACTOR,
): Promise<void> {
  let rollout = await lockRollout(tx, id);
  const reach = rollout && REACH[rollout.kind];
  if (!rollout || !reach || !DRIVEN_ROLLOUT_STATES.includes(rollout.state)) return;
  const plan = storedPlan(rollout.plan);
  for (let moves = 0; moves <= plan.stages.length * 3; moves++) {
    const progress = await stageProgress(tx, rollout, plan, reach, now, offlineAfterMs);
    const stage = progress[rollout.stage];
    const { verdicts, breach } = await evaluateGates({
      db: tx,
      rollout,
      plan,
      reach,
      stage,
      now,
      offlineAfterMs,
    });
    rollout = await saveVerdicts(tx, emit, rollout, verdicts);
    if (breach) {
      await haltRollout(tx, emit, actor, rollout, reach, {
        revert: plan.revertOnFailure,
        reason: breachReason(breach, rollout.stage),
        now,
      });
      return;
    }
    if (rollout.state === 'paused') return;
    if (rollout.state === 'pending') {
      rollout = await moveRollout(tx, emit, actor, rollout, {
        to: 'running',
        action: 'rollout.start',
        data: { stageStartedAt: now },
        now,
      });
    }
    if (rollout.state === 'running') {
      const upToStage = progress.slice(0, rollout.stage + 1);
      const waiting = upToStage.reduce((n, s) => n + s.waiting, 0);
      const inFlight = upToStage.reduce((n, s) => n + s.inFlight, 0);
      const slots = maxInFlightOf(plan, stage.size) - inFlight;
      if (waiting > 0 && slots > 0) {
        await reachNext(tx, emit, rollout, reach, Math.min(slots, waiting), now, offlineAfterMs);
        return;
      }
      if (waiting > 0 || inFlight > 0) return;
      rollout = await moveRollout(tx, emit, actor, rollout, {
        to: 'soaking',
        action: 'rollout.soak',
        data: { soakEndsAt: new Date(now.getTime() + stageSoakSeconds(plan, rollout.stage) * 1000) },
        now,
      });
    }
    if (rollout.state !== 'soaking' || (rollout.soakEndsAt && rollout.soakEndsAt > now)) return;
    rollout = await promote(tx, emit, actor, rollout, plan, reach, now);
    if (rollout.state === 'done') return;
  }
}

/**
 * Move `rollout` on from its current stage: to the next one (running), or after the last to done
 * (the kind's finish first). Used by the driver after a soak and by promote-now. Returns the row.
 */
export async function promote(
  tx: Tx,
  emit: Emit,
  actor: Actor,
  rollout: Rollout,
  plan: RolloutPlan,
  reach: RolloutReach,
  now: Date,
): Promise<Rollout> {
  if (rollout.stage >= plan.stages.length - 1) {
    await reach.finish(tx, emit, rollout, now);
    return moveRollout(tx, emit, actor, rollout, { to: 'done', action: 'rollout.done', now });
  }
  return moveRollout(tx, emit, actor, rollout, {
    to: 'running',
    action: 'rollout.promote',
    data: { stage: rollout.stage + 1, stageStartedAt: now, soakEndsAt: null },
    now,
  });
}

async function saveVerdicts(tx: Tx, emit: Emit, rollout: Rollout, verdicts: GateVerdict[]): Promise<Rollout> {
  if (JSON.stringify(rollout.gates) === JSON.stringify(verdicts)) return rollout;
  emit('rolloutUpdated', { rolloutId: rollout.id, groupId: rollout.groupId, state: rollout.state });
  return tx.rollout.update({
    where: { id: rollout.id },
    data: { gates: verdicts as unknown as Prisma.InputJsonValue },
  });
}

/** Reach the next `count` waiting online agents of stages up to the current one, in stage and hash order. */
async function reachNext(
  tx: Tx,
  emit: Emit,
  rollout: Rollout,
  reach: RolloutReach,
  count: number,
  now: Date,
  offlineAfterMs: number,
): Promise<void> {
  const rows = await tx.$queryRaw<{ agent_id: string }[]>`
    SELECT ra.agent_id FROM rollout_agents ra JOIN agents a ON a.id = ra.agent_id
    WHERE ra.rollout_id = ${rollout.id}::uuid AND ra.stage <= ${rollout.stage} AND ra.assigned_at IS NULL
      AND a.revoked_at IS NULL AND ${inScope(rollout)}
      AND a.last_heartbeat_at >= ${onlineSince(now, offlineAfterMs)}
    ORDER BY ra.stage, encode(sha256(convert_to(${planSeed(rollout)} || ':' || ra.agent_id::text, 'UTF8')), 'hex')
    LIMIT ${count}`;
  const ids = rows.map((r) => r.agent_id);
  await tx.rolloutAgent.updateMany({
    where: { rolloutId: rollout.id, agentId: { in: ids } },
    data: { assignedAt: now, revertedAt: null },
  });
  await reach.assign(tx, emit, rollout, ids, now);
  emit('rolloutUpdated', { rolloutId: rollout.id, groupId: rollout.groupId, state: rollout.state });
}

/**
 * Stop `rollout` reaching agents: halted, or with `revert` every agent it reached gets the previous
 * version back (reverted; cancelled when `to` says so, as abort does). The kind withdraws what was
 * queued and not yet handed out (reach.stop: an upgrade's pending and waiting actions are
 * cancelled, delivered ones finish), and its figures go into the audit entry. Returns the row.
 */
export async function haltRollout(
  tx: Tx,
  emit: Emit,
  actor: Actor,
  rollout: Rollout,
  reach: RolloutReach,
  how: { revert: boolean; reason: string; now: Date; to?: 'cancelled'; action?: string },
): Promise<Rollout> {
  if (how.revert) {
    const reached = await tx.$queryRaw<{ agent_id: string }[]>`
      SELECT ra.agent_id FROM rollout_agents ra JOIN agents a ON a.id = ra.agent_id
      WHERE ra.rollout_id = ${rollout.id}::uuid AND ra.assigned_at IS NOT NULL AND ra.reverted_at IS NULL
        AND a.revoked_at IS NULL AND ${inScope(rollout)}`;
    const ids = reached.map((r) => r.agent_id);
    await tx.rolloutAgent.updateMany({
      where: { rolloutId: rollout.id, agentId: { in: ids } },
      data: { revertedAt: how.now },
    });
    await reach.revert(tx, emit, rollout, ids, how.now);
  }
  const audit = await reach.stop(tx, emit, rollout, how.now);
  const to = how.to ?? (how.revert ? 'reverted' : 'halted');
  const action = how.action ?? (how.revert ? 'rollout.revert' : 'rollout.halt');
  return moveRollout(tx, emit, actor, rollout, { to, action, reason: how.reason, now: how.now, audit });
}

/**
 * A pin back to the baseline (a revert's, a superseded rollout's) stays at least this long, so an
 * agent that was handed the newer version just before it cannot finish applying that after the
 * pin went (deliveries are recorded in batches; this is well above their flush).
 */
export const PIN_SETTLE_MS = 2 * DEFAULT_HEARTBEAT_INTERVAL_SECONDS * 1000;

/**
 * Delete the pins that pin an agent to its group's baseline which it runs, was last handed
 * nothing newer, and that are PIN_SETTLE_MS old as of `now` (left by a revert or a superseded
 * rollout): nothing changes for those agents. Rejects only on database errors.
 */
export async function dropSettledPins(tx: Tx, emit: Emit, now: Date): Promise<void> {
  const rows = await tx.$queryRaw<{ group_id: string }[]>`
    DELETE FROM agent_config_pins p USING agents a, groups g
    WHERE p.agent_id = a.id AND g.id = p.group_id AND a.group_id = p.group_id
      AND p.version = g.config_version AND a.applied_config_version = p.version
      AND coalesce(a.delivered_config_version, 0) <= p.version
      AND p.created_at <= ${new Date(now.getTime() - PIN_SETTLE_MS)}
    RETURNING p.group_id`;
  for (const groupId of new Set(rows.map((r) => r.group_id))) {
    emit('configPinsChanged', { groupId, rolloutId: null });
  }
}
