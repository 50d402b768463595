/**
 * THE action state machine: the transition table every status change goes through, the status a
 * new action starts in, the set-based and single moves guarded by the current status (so two writers
 * never move an action twice), the results agents report, and the expiry sweep. Status only moves
 * forward along TRANSITIONS; final states never change again.
 *
 * | status      | set by                         | meaning                                             | cancel? |
 * |-------------|--------------------------------|-----------------------------------------------------|---------|
 * | `pending`   | server (created, agent online) | queued; not yet in a heartbeat answer               | yes     |
 * | `waiting`   | server (agent offline)         | waits for its agent (before the deadline)           | yes     |
 * | `delivered` | server (a heartbeat answer)    | the agent has it and may be running it; handed again| no      |
 * |             |                                | on every heartbeat until the agent reports it       |         |
 * | `running`   | agent (actionResults)          | the agent started it                                | no      |
 * | `done`, `failed` | agent                     | final, with its result                              | —       |
 * | `cancelled` | server (operator, revoke)      | final: cancelled before any agent received it       | —       |
 * | `expired`   | server (sweep)                 | final: not finished before its deadline             | —       |
 * | `skipped`   | server (created, agent offline, policy skip) | final                                 | —       |
 *
 * Delivery (action-delivery.ts → deliverActions) moves `pending → delivered` in the same statement
 * that picks what the heartbeat answer carries, so an operator's cancel and a delivery cannot both
 * win: cancel is refused (invalid_transition) from `delivered` on. A lost answer loses nothing: the
 * next heartbeat carries the delivered action again, and the agent de-duplicates by action id.
 * `delivered` never moves back to `waiting` when its agent goes offline (it has the action).
 * `waiting`/`pending → running | done | failed` stay allowed for actions a server before this
 * state handed out (and for a fast agent whose result arrives with the heartbeat that fetches).
 */
import { z } from 'zod';
import type { FleetContext, Tx } from './context.ts';
import { Prisma, type Action, type ActionStatus } from '../generated/prisma/client.ts';
import {
  alreadyEndedReason,
  type ActionOfflinePolicy,
  type ActionResult,
  type RejectedResult,
} from '../protocol/actions.ts';
import type { Emit } from './transaction.ts';
import { agentStatus } from './agent-status.ts';

/** Allowed moves: from → to. Anything else is rejected. */
export const TRANSITIONS: Record<ActionStatus, readonly ActionStatus[]> = {
  pending: ['delivered', 'running', 'done', 'failed', 'cancelled', 'expired', 'waiting'],
  // An action parked as waiting by a server before `delivered` may have been received (then it reports).
  waiting: ['pending', 'running', 'done', 'failed', 'cancelled', 'expired'],
  delivered: ['running', 'done', 'failed', 'expired'],
  running: ['done', 'failed', 'expired'],
  done: [],
  failed: [],
  cancelled: [],
  expired: [],
  skipped: [],
};

/** Every status, in the table's order (the GraphQL enum and the dashboard read it from here). */
export const ACTION_STATUSES = Object.keys(TRANSITIONS) as ActionStatus[];

/** The statuses an operator may cancel (the GraphQL `Action.cancellable` and the dashboard read it). */
export const CANCELLABLE_ACTION_STATUSES = fromStates('cancelled');

/** The statuses a heartbeat answer carries: new ones, and delivered ones not yet reported. */
export const DELIVERABLE_ACTION_STATUSES: readonly ActionStatus[] = ['pending', 'delivered'];

/** The final statuses: no move leaves them (retention prunes only these). */
export const FINAL_ACTION_STATUSES = ACTION_STATUSES.filter((s) => TRANSITIONS[s].length === 0);

/**
 * The status a new action starts in: `pending` for an agent online as of `now`, otherwise
 * `waiting` (policy deliver) or `skipped` (policy skip). Pure.
 */
export function initialStatus(
  lastHeartbeatAt: Date | null,
  now: Date,
  policy: ActionOfflinePolicy,
  offlineAfterMs: number,
): ActionStatus {
  if (agentStatus(lastHeartbeatAt, now, offlineAfterMs) === 'online') return 'pending';
  return policy === 'skip' ? 'skipped' : 'waiting';
}

/** True when an action may move from `from` to `to`. */
export function canTransition(from: ActionStatus, to: ActionStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses the table allows to move to `to` (for set-based moves: `WHERE status IN (...)`). */
export function fromStates(to: ActionStatus): ActionStatus[] {
  return (Object.keys(TRANSITIONS) as ActionStatus[]).filter((from) => canTransition(from, to));
}

/** One action moved by transitionActions. */
export interface MovedAction {
  id: string;
  agent_id: string;
  bulk_id: string | null;
}

/**
 * THE set-based status change: move every action matching `where` (a SQL condition on `actions`)
 * whose current status the transition table allows to move to `to`, in one statement, so
 * concurrent writers never move an action twice. Actions in other statuses are left alone. Emits
 * actionUpdated for each through `emit` (after commit when it comes from inTransaction). Every
 * bulk status change (bulk cancel, expiry, revoke, delivery) goes through here.
 */
export async function transitionActions(
  db: Tx,
  where: Prisma.Sql,
  to: ActionStatus,
  now: Date,
  emit: Emit,
): Promise<MovedAction[]> {
  const final = TRANSITIONS[to].length === 0;
  const rows = await db.$queryRaw<MovedAction[]>(Prisma.sql`
    UPDATE actions SET status = ${to}::"ActionStatus", updated_at = ${now}
      ${final ? Prisma.sql`, finished_at = ${now}` : Prisma.empty}
      ${to === 'delivered' ? Prisma.sql`, delivered_at = COALESCE(delivered_at, ${now})` : Prisma.empty}
    WHERE (${where}) AND status = ANY(${fromStates(to)}::"ActionStatus"[])
    RETURNING id, agent_id, bulk_id`);
  for (const r of rows)
    emit('actionUpdated', { actionId: r.id, agentId: r.agent_id, bulkId: r.bulk_id, status: to });
  return rows;
}

/**
 * Apply the results an agent reported, at once and durably (each in the caller's transaction).
 * Results for unknown actions, other agents' actions or final actions are returned as rejected,
 * never applied.
 */
export async function applyActionResults(
  tx: Tx,
  agentId: string,
  results: ActionResult[],
  now: Date,
  emit: Emit,
): Promise<RejectedResult[]> {
  const rejected: RejectedResult[] = [];
  for (const r of results) {
    const action = z.uuid().safeParse(r.actionId).success
      ? await tx.action.findUnique({ where: { id: r.actionId } })
      : null;
    if (!action || action.agentId !== agentId) {
      rejected.push({ actionId: r.actionId, reason: 'unknown action' });
      continue;
    }
    if (action.status === r.status && r.status === 'running') continue;
    const updated = await moveAction(tx, action, r.status, now, emit, r.result);
    if (!updated) rejected.push({ actionId: r.actionId, reason: alreadyEndedReason(action.status) });
  }
  return rejected;
}

/**
 * Move one action to `to` if the transition table allows it, guarded by its current status so two
 * writers cannot both move it. Resolves the updated action, or null when the move was not allowed.
 */
export async function moveAction(
  tx: Tx,
  action: Action,
  to: ActionStatus,
  now: Date,
  emit: Emit,
  result?: Record<string, unknown>,
): Promise<Action | null> {
  if (!canTransition(action.status, to)) return null;
  const final = TRANSITIONS[to].length === 0;
  const moved = await tx.action.updateMany({
    where: { id: action.id, status: action.status },
    data: {
      status: to,
      result: result === undefined ? undefined : (result as Prisma.InputJsonValue),
      startedAt: to === 'running' ? now : undefined,
      finishedAt: final ? now : undefined,
    },
  });
  if (moved.count === 0) return null;
  emit('actionUpdated', { actionId: action.id, agentId: action.agentId, bulkId: action.bulkId, status: to });
  return tx.action.findUniqueOrThrow({ where: { id: action.id } });
}

/**
 * Expire every action past its deadline that the transition table lets expire, in one statement,
 * so two replicas sweeping together expire each action once. Returns how many expired.
 */
export async function expireActions(ctx: FleetContext): Promise<number> {
  const now = ctx.clock();
  const publish: Emit = (topic, payload) => ctx.events.publish(topic, payload);
  const rows = await transitionActions(ctx.db, Prisma.sql`deadline <= ${now}`, 'expired', now, publish);
  return rows.length;
}
