/**
 * THE rollout state machine, written once: which states are active (the group has a rollout in
 * progress, a publish supersedes it), which are final, and which moves are allowed. Every change
 * of Rollout.state goes through moveRollout, which checks the move, audits it and publishes
 * rolloutUpdated after the commit.
 *
 *   pending → running (stage N reaching agents) → soaking (stage N reached; soak timer) → running
 *   (stage N+1) … → done; paused ⇄ running/soaking; halted (a gate breached, no new agents);
 *   reverted (halted, and the reached agents pinned back to the previous version); cancelled
 *   (aborted, reached agents pinned back); superseded (a newer publish of the group replaced it).
 */
import type { Prisma, Rollout, RolloutState } from '../../generated/prisma/client.ts';
import type { Actor, Tx } from '../context.ts';
import type { Emit } from '../transaction.ts';
import { recordAudit } from '../audit.ts';
import { FleetError, FleetErrorCode } from '../errors.ts';

export const ROLLOUT_STATES = [
  'pending',
  'running',
  'soaking',
  'paused',
  'halted',
  'reverted',
  'done',
  'cancelled',
  'superseded',
] as const satisfies readonly RolloutState[];

/** States of a rollout still in progress; a group has at most one rollout in one of them. */
export const ACTIVE_ROLLOUT_STATES: readonly RolloutState[] = [
  'pending',
  'running',
  'soaking',
  'paused',
  'halted',
];

/** States the driver works on each round (assigning, soaking, evaluating gates). */
export const DRIVEN_ROLLOUT_STATES: readonly RolloutState[] = ['pending', 'running', 'soaking', 'paused'];

const MOVES: Record<RolloutState, readonly RolloutState[]> = {
  pending: ['running', 'paused', 'halted', 'reverted', 'cancelled', 'superseded'],
  running: ['soaking', 'running', 'paused', 'halted', 'reverted', 'done', 'cancelled', 'superseded'],
  soaking: ['running', 'paused', 'halted', 'reverted', 'done', 'cancelled', 'superseded'],
  paused: ['running', 'halted', 'reverted', 'cancelled', 'superseded'],
  halted: ['running', 'cancelled', 'superseded'],
  reverted: ['running', 'superseded'],
  done: [],
  cancelled: [],
  superseded: [],
};

/** True when the machine allows `from` → `to`. Pure. */
export function canMove(from: RolloutState, to: RolloutState): boolean {
  return MOVES[from].includes(to);
}

/** True when `state` is final (done, cancelled, superseded; reverted only allows a retry). */
export function isFinished(state: RolloutState): boolean {
  return !ACTIVE_ROLLOUT_STATES.includes(state);
}

/** Throw invalid_transition for control `what` (`pause`, `retry`) on `rollout`. */
export function refuseMove(rollout: Pick<Rollout, 'state'>, what: string): never {
  throw new FleetError(FleetErrorCode.invalidTransition, `cannot ${what} a rollout that is ${rollout.state}`);
}

/** Throw invalid_transition unless `rollout` may move to `to`; `what` names the control for people. */
export function assertMove(rollout: Pick<Rollout, 'state'>, to: RolloutState, what: string): void {
  if (!canMove(rollout.state, to)) refuseMove(rollout, what);
}

export interface RolloutMove {
  to: RolloutState;
  /** The audit action (`rollout.halt`, `rollout.promote`, …). */
  action: string;
  reason?: string;
  data?: Prisma.RolloutUpdateInput;
  /** Extra figures for the audit entry (what the move withdrew). */
  audit?: Record<string, unknown>;
  now: Date;
}

/**
 * Move `rollout` (its row locked by the caller) to `move.to` with the move's extra fields, audit it
 * as `move.action` by `actor` and publish rolloutUpdated after the commit. Throws
 * invalid_transition when the machine forbids the move. Returns the updated row.
 */
export async function moveRollout(
  tx: Tx,
  emit: Emit,
  actor: Actor,
  rollout: Rollout,
  move: RolloutMove,
): Promise<Rollout> {
  assertMove(rollout, move.to, move.action.replace(/^rollout\./, ''));
  const updated = await tx.rollout.update({
    where: { id: rollout.id },
    data: {
      ...move.data,
      state: move.to,
      ...(move.reason !== undefined ? { reason: move.reason } : {}),
      finishedAt: isFinished(move.to) ? move.now : null,
    },
  });
  await recordAudit(
    tx,
    actor,
    move.action,
    rollout.groupId ? { type: 'group', id: rollout.groupId } : { type: 'rollout', id: rollout.id },
    { rolloutId: rollout.id, state: rollout.state, stage: rollout.stage },
    {
      rolloutId: rollout.id,
      state: updated.state,
      stage: updated.stage,
      reason: updated.reason,
      ...move.audit,
    },
  );
  emit('rolloutUpdated', { rolloutId: rollout.id, groupId: rollout.groupId, state: updated.state });
  return updated;
}
