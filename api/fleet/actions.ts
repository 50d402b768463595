/**
 * The action queue: instructions for agents (upgrade_agent, restart_vector, validate_config,
 * collect_diagnostics; the queue is generic). Status only moves forward along TRANSITIONS; final
 * states never change again. An action starts `pending` for an agent online when it is created;
 * for one offline then, its offline policy decides: `waiting` (deliver once it is back, before the
 * deadline) or `skipped` (final). A pending action whose agent goes offline waits too
 * (action-delivery.ts moves actions between pending and waiting).
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import type { Actor, FleetContext, Tx } from './context.ts';
import { Prisma, type Action, type ActionStatus } from '../generated/prisma/client.ts';
import {
  ActionOfflinePolicy,
  ActionType,
  UpgradeAgentPayload,
  ValidateConfigPayload,
  type ActionResult,
  type RejectedResult,
} from '../protocol/v1.ts';
import { FleetError, FleetErrorCode, validationError } from './errors.ts';
import { recordAudit } from './audit.ts';
import { inTransaction, type Emit } from './transaction.ts';
import { parseInput, storableOptions } from './validate.ts';
import { AgentFilterInput, bulkTargets } from './queries.ts';
import { agentStatus } from './agent-status.ts';

/** Allowed moves: from → to. Anything else is rejected. */
export const TRANSITIONS: Record<ActionStatus, readonly ActionStatus[]> = {
  pending: ['running', 'done', 'failed', 'cancelled', 'expired', 'waiting'],
  // An agent parked as waiting may still have received it before (then it reports a result).
  waiting: ['pending', 'running', 'done', 'failed', 'cancelled', 'expired'],
  running: ['done', 'failed', 'expired'],
  done: [],
  failed: [],
  cancelled: [],
  expired: [],
  skipped: [],
};

/** Every status, in the table's order (the GraphQL enum and the dashboard read it from here). */
export const ACTION_STATUSES = Object.keys(TRANSITIONS) as ActionStatus[];

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
 * bulk status change (bulk cancel, expiry, revoke) goes through here.
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
    WHERE (${where}) AND status = ANY(${fromStates(to)}::"ActionStatus"[])
    RETURNING id, agent_id, bulk_id`);
  for (const r of rows)
    emit('actionUpdated', { actionId: r.id, agentId: r.agent_id, bulkId: r.bulk_id, status: to });
  return rows;
}

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
 * An action's payload as operators, the audit log and GraphQL see it: a stored candidate config
 * (validate_config of a draft) is replaced by its size, so the rendered YAML is shown nowhere but
 * to the agent that validates it.
 */
export function auditPayload(payload: Prisma.JsonValue): Record<string, unknown> {
  const object = (payload ?? {}) as Record<string, unknown>;
  if (typeof object.yaml !== 'string') return object;
  const { yaml, ...rest } = object;
  return { ...rest, yamlBytes: Buffer.byteLength(yaml) };
}

async function assertVersionsExist(
  tx: Tx,
  agents: { groupId: string; platform: string }[],
  version: number,
): Promise<void> {
  const wanted = new Set(agents.map((a) => `${a.groupId}/${a.platform}`));
  const found = await tx.renderedConfig.findMany({
    where: { version, groupId: { in: [...new Set(agents.map((a) => a.groupId))] } },
    select: { groupId: true, platform: true },
  });
  const have = new Set(found.map((r) => `${r.groupId}/${r.platform}`));
  const missing = [...wanted].filter((key) => !have.has(key));
  if (missing.length > 0)
    throw new FleetError(
      FleetErrorCode.versionNotFound,
      `version ${version} is not published in the group of every target agent`,
      [{ path: 'payload.version', message: `no version ${version} for ${missing.length} target(s)` }],
    );
}

async function completePayload(
  ctx: FleetContext,
  type: ActionType,
  payload: unknown,
): Promise<Prisma.InputJsonObject> {
  if (type === 'restart_vector' || type === 'collect_diagnostics') return {};
  if (type === 'validate_config') return parsePayload(ValidateConfigPayload, payload);
  const { targetVersion } = parsePayload(UpgradeAgentPayload, payload);
  const release = await ctx.db.agentRelease.findUnique({
    where: { version: targetVersion },
    select: { sha256: true },
  });
  if (!release) {
    throw new FleetError(
      FleetErrorCode.releaseNotFound,
      `no agent release ${targetVersion} on this server (${type})`,
      [{ path: 'payload.targetVersion', message: `unknown release ${targetVersion}` }],
    );
  }
  return { targetVersion, sha256: release.sha256 };
}

function parsePayload<T extends z.ZodType>(schema: T, payload: unknown): z.output<T> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw validationError(
      parsed.error.issues.map((i) => ({ path: ['payload', ...i.path].join('.'), message: i.message })),
    );
  }
  return parsed.data;
}

/**
 * Cancel a pending or waiting action. Fails with action_not_found, or invalid_transition once it
 * left those.
 */
export async function cancelAction(ctx: FleetContext, actor: Actor, input: unknown): Promise<Action> {
  const { id } = parseInput(CancelActionInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const action = await tx.action.findUnique({ where: { id } });
    if (!action) throw new FleetError(FleetErrorCode.actionNotFound, `no action with id ${id}`);
    const updated = await moveAction(tx, action, 'cancelled', ctx.clock(), emit);
    if (!updated) {
      throw new FleetError(
        FleetErrorCode.invalidTransition,
        `action is ${action.status}; only pending and waiting actions can be cancelled`,
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
 * Cancel every still-pending action of a bulk request in one statement (running and finished ones
 * are left alone). Resolves how many were cancelled; fails with action_not_found for an unknown bulk id.
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
    if (!updated) rejected.push({ actionId: r.actionId, reason: `action is already ${action.status}` });
  }
  return rejected;
}

/**
 * Move one action to `to` if the transition table allows it, guarded by its current status so two
 * writers cannot both move it. Resolves the updated action, or null when the move was not allowed.
 */
async function moveAction(
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
