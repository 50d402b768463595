/**
 * The action queue: instructions for agents (upgrade_agent, restart_vector, validate_config,
 * collect_diagnostics; the queue is generic) as operators create and cancel them. The state machine
 * is action-states.ts; payload checks are action-payloads.ts; delivery is action-delivery.ts. An
 * action starts `pending` for an agent online when it is created; for one offline then, its offline
 * policy decides: `waiting` (deliver once it is back, before the deadline) or `skipped` (final).
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import type { Actor, FleetContext, Tx } from './context.ts';
import { Prisma, type Action } from '../generated/prisma/client.ts';
import { ActionOfflinePolicy, ActionType } from '../protocol/actions.ts';
import { FleetError, FleetErrorCode } from './errors.ts';
import { recordAudit } from './audit.ts';
import { inTransaction, type Emit } from './transaction.ts';
import { parseInput, storableOptions } from './validate.ts';
import { AgentFilterInput, bulkTargets } from './queries.ts';
import { initialStatus, moveAction, TRANSITIONS, transitionActions } from './action-states.ts';
import { assertVersionsExist, auditPayload, completePayload } from './action-payloads.ts';

export const CreateActionsInput = z.object({
  /** Target agents by id or by filter (exactly one); see queries.ts → bulkTargets. */
  agentIds: z.array(z.uuid()).nullish(),
  filter: AgentFilterInput.nullish(),
  type: ActionType,
  payload: storableOptions(),
  /** Tie the actions with a bulk id even when only one agent is targeted (bulk requests by filter). */
  bulk: z.boolean().optional(),
  offlinePolicy: ActionOfflinePolicy.nullish(),
});
export const CancelActionInput = z.object({ id: z.uuid() });
export const CancelBulkActionsInput = z.object({ bulkId: z.uuid() });

export interface CreatedActions {
  bulkId: string | null;
  actions: Action[];
}

/**
 * Queue one action per agent, targeted by ids or by filter (a bulk id ties them when there is
 * more than one, or when `bulk` is set); the filter is resolved in the same transaction. The
 * payload is checked per type: upgrade_agent needs a targetVersion the server has a release for
 * (its sha256 is added; the download URL at delivery, see action-delivery.ts); validate_config
 * takes `{ version }`, a published version every target's group has; restart_vector and
 * collect_diagnostics take no payload (stored as `{}`). Each action starts as initialStatus says.
 * Fails with validation_failed, release_not_found, version_not_found, too_many_agents or
 * agent_not_found (any id unknown or revoked); nothing is written then.
 */
export async function createActions(
  ctx: FleetContext,
  actor: Actor,
  input: unknown,
): Promise<CreatedActions> {
  const data = parseInput(CreateActionsInput, input);
  const payload = await completePayload(ctx, data.type, data.payload);
  return inTransaction(ctx, async (tx, emit) => {
    const agentIds = await bulkTargets(tx, data, ctx.clock(), ctx.tuning.current.offlineAfterMs);
    const agents = await tx.agent.findMany({
      where: { id: { in: agentIds }, revokedAt: null },
      select: { id: true, groupId: true, platform: true, lastHeartbeatAt: true },
    });
    if (agents.length !== agentIds.length)
      throw new FleetError(FleetErrorCode.agentNotFound, 'some agents do not exist or are revoked');
    if (data.type === 'validate_config') await assertVersionsExist(tx, agents, Number(payload.version));
    return queueActions(tx, emit, actor, {
      type: data.type,
      agents,
      payloads: new Map(agentIds.map((id) => [id, payload])),
      bulk: data.bulk || agentIds.length > 1,
      offlinePolicy: data.offlinePolicy ?? 'deliver',
      deadline: new Date(ctx.clock().getTime() + ctx.tuning.current.actionDeadlineMs),
      now: ctx.clock(),
      offlineAfterMs: ctx.tuning.current.offlineAfterMs,
    });
  });
}

/** What queueActions writes: one action per agent with its own payload. */
export interface QueueRequest {
  type: ActionType;
  agents: { id: string; lastHeartbeatAt: Date | null }[];
  payloads: Map<string, Prisma.InputJsonObject>;
  bulk: boolean;
  offlinePolicy: ActionOfflinePolicy;
  deadline: Date;
  now: Date;
  /** The liveness threshold in effect (fleet settings): who counts as offline. */
  offlineAfterMs: number;
  /** Extra audit fields (e.g. the draft revision validated). */
  audit?: Record<string, unknown>;
  /** The bulk id to tie them with (an upgrade rollout's id); a new one when absent. */
  bulkId?: string;
}

/**
 * Inside a transaction: write one action per agent (initial status by initialStatus), audit
 * `action.create` (payloads as auditPayload shows them) and emit actionUpdated for each. Callers
 * have checked the agents and payloads.
 */
export async function queueActions(
  tx: Tx,
  emit: Emit,
  actor: Actor,
  request: QueueRequest,
): Promise<CreatedActions> {
  const bulkId = request.bulk ? (request.bulkId ?? crypto.randomUUID()) : null;
  const createdBy = actor.label;
  const createdById = actor.type === 'user' || actor.type === 'api_token' ? actor.id : null;
  const actions = await tx.action.createManyAndReturn({
    data: request.agents.map((agent) => {
      const status = initialStatus(
        agent.lastHeartbeatAt,
        request.now,
        request.offlinePolicy,
        request.offlineAfterMs,
      );
      return {
        agentId: agent.id,
        type: request.type,
        payload: request.payloads.get(agent.id) ?? {},
        status,
        bulkId,
        deadline: request.deadline,
        offlinePolicy: request.offlinePolicy,
        createdBy,
        createdById,
        finishedAt: TRANSITIONS[status].length === 0 ? request.now : null,
      };
    }),
  });
  const first = actions[0];
  await recordAudit(
    tx,
    actor,
    'action.create',
    { type: bulkId ? 'bulk' : 'action', id: bulkId ?? first?.id },
    null,
    {
      type: request.type,
      payload: first ? auditPayload(first.payload) : {},
      agents: actions.length,
      offlinePolicy: request.offlinePolicy,
      waiting: actions.filter((a) => a.status === 'waiting').length,
      skipped: actions.filter((a) => a.status === 'skipped').length,
      ...request.audit,
    },
  );
  for (const a of actions)
    emit('actionUpdated', { actionId: a.id, agentId: a.agentId, bulkId, status: a.status });
  return { bulkId, actions };
}

/**
 * Cancel a pending or waiting action (one no agent has received). Fails with action_not_found, or
 * invalid_transition once it left those: from `delivered` on the agent has it and may be running
 * it, so it is never shown as cancelled.
 */
export async function cancelAction(ctx: FleetContext, actor: Actor, input: unknown): Promise<Action> {
  const { id } = parseInput(CancelActionInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const action = await tx.action.findUnique({ where: { id } });
    if (!action) throw new FleetError(FleetErrorCode.actionNotFound, `no action with id ${id}`);
    const updated = await moveAction(tx, action, 'cancelled', ctx.clock(), emit);
    if (!updated) {
      // Re-read: a delivery may have moved it between the read and the guarded move.
      const { status } = await tx.action.findUniqueOrThrow({ where: { id }, select: { status: true } });
      throw new FleetError(
        FleetErrorCode.invalidTransition,
        status === 'delivered' || status === 'running'
          ? `action is ${status}: the agent already received it and may be running it, so it cannot be cancelled; wait for its result or its deadline`
          : `action is ${status}; only pending and waiting actions can be cancelled`,
      );
    }
    await recordAudit(
      tx,
      actor,
      'action.cancel',
      { type: 'action', id },
      { status: action.status },
      { status: 'cancelled' },
    );
    return updated;
  });
}

/**
 * Cancel every still pending or waiting action of a bulk request in one statement (delivered,
 * running and finished ones are left alone). Resolves how many were cancelled; fails with action_not_found for an unknown bulk id.
 */
export async function cancelBulkActions(ctx: FleetContext, actor: Actor, input: unknown): Promise<number> {
  const { bulkId } = parseInput(CancelBulkActionsInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    if ((await tx.action.count({ where: { bulkId } })) === 0) {
      throw new FleetError(FleetErrorCode.actionNotFound, `no bulk request ${bulkId}`);
    }
    const rows = await transitionActions(
      tx,
      Prisma.sql`bulk_id = ${bulkId}::uuid`,
      'cancelled',
      ctx.clock(),
      emit,
    );
    await recordAudit(tx, actor, 'action.cancel_bulk', { type: 'bulk', id: bulkId }, null, {
      cancelled: rows.length,
    });
    return rows.length;
  });
}
