/**
 * Delivering actions to agents: what a heartbeat answer carries (deliverActions: `pending →
 * delivered`, and delivered ones again until reported), the moves
 * between `pending` and `waiting` as agents leave and come back (through action-states.ts →
 * transitionActions, so the transition table decides), and the candidate config a
 * `validate_config` action fetches with the agent's own token (candidateFor).
 *
 * Secrets: a stored candidate (a draft rendered for the agent's platform) holds `SECRET[name]`
 * references only, like every stored config; candidateFor resolves them at delivery with
 * resolveDeliveredConfig, as the config route does, and the resolved text is neither stored nor
 * logged. The heartbeat answer never carries the YAML, only where to fetch it.
 */
import { Prisma, type ActionStatus } from '../generated/prisma/client.ts';
import type { FleetContext, Tx } from './context.ts';
import { MAX_PENDING_ACTIONS, paths } from '../protocol/v1.ts';
import { type PendingAction } from '../protocol/actions.ts';
import { FleetError, FleetErrorCode } from './errors.ts';
import { agentStatusSql } from './agent-status.ts';
import { DELIVERABLE_ACTION_STATUSES, transitionActions } from './action-states.ts';
import { resolveDeliveredConfig } from './secrets.ts';
import { inTransaction, type Emit } from './transaction.ts';

/** The statuses in which an agent may still fetch a candidate or upload a bundle for its action. */
const ACTIVE: readonly ActionStatus[] = ['pending', 'delivered', 'running'];

/**
 * What a heartbeat answer carries to agent `agentId`: up to MAX_PENDING_ACTIONS unexpired actions,
 * oldest first, among its `pending` and `delivered` ones. The `pending` ones among them become
 * `delivered` (delivered_at set once) in the same statement that picks them, before the answer
 * leaves, so a cancel racing the delivery either wins (the action is not carried) or is refused;
 * `delivered` ones are carried again until the agent reports them (a lost answer loses nothing;
 * agents de-duplicate by id). `baseUrl` is the server address the agent reached: upgrade_agent
 * payloads get the absolute download URL of their release under it; validate_config payloads carry
 * only `source` (the agent fetches the candidate from its own server, see candidateFor).
 */
export async function deliverActions(
  ctx: FleetContext,
  agentId: string,
  baseUrl: string,
): Promise<PendingAction[]> {
  const now = ctx.clock();
  const rows = await inTransaction(ctx, async (tx, emit) => {
    const oldest = Prisma.sql`SELECT id FROM actions WHERE agent_id = ${agentId}::uuid
      AND status = ANY(${DELIVERABLE_ACTION_STATUSES}::"ActionStatus"[]) AND deadline > ${now}
      ORDER BY created_at LIMIT ${MAX_PENDING_ACTIONS}`;
    await transitionActions(tx, Prisma.sql`id IN (${oldest})`, 'delivered', now, emit);
    return tx.action.findMany({
      where: { agentId, status: 'delivered', deadline: { gt: now } },
      orderBy: { createdAt: 'asc' },
      take: MAX_PENDING_ACTIONS,
      select: { id: true, type: true, payload: true },
    });
  });
  return rows.map((r) => ({ id: r.id, type: r.type, payload: deliveredPayload(r, baseUrl) }));
}

function deliveredPayload(
  action: { type: string; payload: Prisma.JsonValue },
  baseUrl: string,
): Record<string, unknown> {
  const payload = (action.payload ?? {}) as Record<string, unknown>;
  switch (action.type) {
    case 'upgrade_agent':
      return { ...payload, url: baseUrl + paths.release(String(payload.targetVersion)) };
    case 'validate_config':
      return { source: candidateSource(payload) };
    default:
      return payload;
  }
}

function candidateSource(payload: Record<string, unknown>): string {
  return typeof payload.yaml === 'string'
    ? `draft revision ${String(payload.revision)}`
    : `version ${String(payload.version)}`;
}

/**
 * The agents of `agentIds` are heard from again: their `waiting` actions still before their
 * deadline become `pending` (the heartbeat calls this, so the answer carries them). Publishes
 * actionUpdated for each; resolves how many moved.
 */
export async function deliverToReturned(ctx: FleetContext, agentIds: string[]): Promise<number> {
  if (agentIds.length === 0) return 0;
  const now = ctx.clock();
  const rows = await transitionActions(
    ctx.db,
    Prisma.sql`status = 'waiting' AND deadline > ${now} AND agent_id = ANY(${agentIds}::uuid[])`,
    'pending',
    now,
    publishing(ctx),
  );
  return rows.length;
}

/**
 * The sweep's part: `pending` actions of agents now offline wait for them (`waiting`), and
 * `waiting` actions of agents online again become `pending` (heals a flush that failed to). Each
 * is one statement through the transition table, so two replicas sweeping together move each
 * action once. Resolves how many moved each way.
 */
export async function sweepWaitingActions(ctx: FleetContext): Promise<{ parked: number; resumed: number }> {
  const now = ctx.clock();
  const emit = publishing(ctx);
  const agentsWhere = (status: 'offline' | 'online') =>
    Prisma.sql`agent_id IN (SELECT a.id FROM agents a WHERE a.revoked_at IS NULL AND ${agentStatusSql(status, now, ctx.tuning.current.offlineAfterMs)})`;
  const parked = await transitionActions(
    ctx.db,
    Prisma.sql`status = 'pending' AND ${agentsWhere('offline')}`,
    'waiting',
    now,
    emit,
  );
  const resumed = await transitionActions(
    ctx.db,
    Prisma.sql`status = 'waiting' AND deadline > ${now} AND ${agentsWhere('online')}`,
    'pending',
    now,
    emit,
  );
  return { parked: parked.length, resumed: resumed.length };
}

function publishing(ctx: FleetContext): Emit {
  return (topic, payload) => ctx.events.publish(topic, payload);
}

/**
 * The action `actionId` of agent `agentId` while the agent may still work on it (pending or
 * delivered or running) and of `type`. Fails with action_not_found (unknown, another agent's, another type) or
 * action_not_active (final, or waiting).
 */
export async function activeActionOf(
  db: Tx,
  agentId: string,
  actionId: string,
  type: string,
): Promise<{ id: string; payload: Prisma.JsonValue; bulkId: string | null; status: ActionStatus }> {
  const action = /^[0-9a-f-]{36}$/i.test(actionId)
    ? await db.action.findUnique({
        where: { id: actionId },
        select: { id: true, agentId: true, type: true, payload: true, status: true, bulkId: true },
      })
    : null;
  if (!action || action.agentId !== agentId || action.type !== type)
    throw new FleetError(FleetErrorCode.actionNotFound, `agent has no ${type} action ${actionId}`);
  if (!ACTIVE.includes(action.status))
    throw new FleetError(FleetErrorCode.actionNotActive, `action is ${action.status}`);
  return action;
}

/**
 * The candidate config of a `validate_config` action, as agent `agent` receives it: the stored
 * draft rendering, or the published version's rendering for the agent's group and platform, with
 * secret references resolved. Fails with action_not_found, action_not_active, or
 * candidate_unavailable (the version is gone, a secret does not resolve — named, never revealed).
 */
export async function candidateFor(
  ctx: FleetContext,
  agent: { id: string; groupId: string; platform: string },
  actionId: string,
): Promise<string> {
  const action = await activeActionOf(ctx.db, agent.id, actionId, 'validate_config');
  const payload = (action.payload ?? {}) as Record<string, unknown>;
  let yaml: string;
  let groupId = agent.groupId;
  if (typeof payload.yaml === 'string') {
    yaml = payload.yaml;
    groupId = String(payload.groupId ?? agent.groupId);
  } else {
    const rendered = await ctx.db.renderedConfig.findUnique({
      where: {
        groupId_version_platform: {
          groupId: agent.groupId,
          version: Number(payload.version),
          platform: agent.platform as 'linux' | 'kubernetes',
        },
      },
      select: { yaml: true },
    });
    if (!rendered)
      throw new FleetError(
        FleetErrorCode.candidateUnavailable,
        `the agent's group has no version ${String(payload.version)} for ${agent.platform}`,
      );
    yaml = rendered.yaml;
  }
  try {
    return await resolveDeliveredConfig(ctx, groupId, yaml);
  } catch (error) {
    throw new FleetError(FleetErrorCode.candidateUnavailable, (error as Error).message);
  }
}
