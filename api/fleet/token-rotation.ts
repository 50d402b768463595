/**
 * Per-agent token rotation through the heartbeat answer (api/protocol/README.md → Token rotation):
 *
 *  1. a rotation is due when an operator asked for it (`token_rotation_requested_at`) or the token is
 *     older than the schedule (`FLOTILLA_TOKEN_ROTATION_DAYS`, 0 = never);
 *  2. on a heartbeat with the current token the server mints a new one, stores its hash in
 *     `next_token_hash` (replacing an earlier one the agent never used) and sends it in the answer;
 *  3. both tokens authenticate until the agent presents the new one: that request promotes it to
 *     `token_hash`, the old one stops working, and `agent.token_rotated` is audited.
 * An answer lost on the way, or an agent killed before it stored the token, only means the agent
 * comes back with the old token and is sent a fresh one: nothing locks it out.
 */
import { Capability, type HeartbeatRequest } from '../protocol/v1.ts';
import type { Actor, FleetContext } from './context.ts';
import type { AgentDirectory, AgentEntry } from './agent-directory.ts';
import { recordAudit, recordAuditBatch } from './audit.ts';
import { parseInput } from './validate.ts';
import { RotateAgentTokensInput, type BulkOutcome } from './agents.ts';
import { FleetError, FleetErrorCode } from './errors.ts';
import { bulkTargets } from './queries.ts';
import { inTransaction } from './transaction.ts';
import { mintToken } from './tokens.ts';
import { DEFAULT_TOKEN_ROTATION_DAYS } from '../config.ts';

const DAY_MS = 24 * 3600 * 1000;

/** Whether `agent`'s token is due for rotation as of `now` (`scheduleMs` 0: only on request). */
export function rotationDue(agent: AgentEntry, now: Date, scheduleMs: number): boolean {
  if (agent.rotationRequested) return true;
  return scheduleMs > 0 && now.getTime() - agent.tokenIssuedAt.getTime() >= scheduleMs;
}

/** The schedule of a context in milliseconds (0: off). */
export function rotationScheduleMs(ctx: FleetContext): number {
  return (ctx.settings.tokenRotationDays ?? DEFAULT_TOKEN_ROTATION_DAYS) * DAY_MS;
}

/**
 * Whether a heartbeat takes a rotation step (rotateOnHeartbeat then writes): the agent used its
 * rotated token, or a rotation is due and the agent announces it can take one (an agent that does
 * not would ignore the token: it keeps its old one).
 */
export function rotationStepDue(
  ctx: FleetContext,
  agent: AgentEntry,
  body: HeartbeatRequest,
  now: Date,
): boolean {
  if (agent.viaNextToken) return true;
  if (!body.capabilities?.includes(Capability.tokenRotation)) return false;
  return !agent.revoked && rotationDue(agent, now, rotationScheduleMs(ctx));
}

/**
 * The rotation step of one authenticated heartbeat: promotes a rotated token the agent just used,
 * or mints and returns a new token when one is due (the caller puts it in the answer). Resolves
 * undefined when there is nothing to send. Rejects when the database fails (the heartbeat then
 * fails and the agent retries with the token it has).
 */
export async function rotateOnHeartbeat(
  ctx: FleetContext,
  directory: AgentDirectory,
  agent: AgentEntry,
  body: HeartbeatRequest,
): Promise<string | undefined> {
  const now = ctx.clock();
  if (!rotationStepDue(ctx, agent, body, now)) return undefined;
  if (agent.viaNextToken) {
    await completeRotation(ctx, directory, agent, now);
    return undefined;
  }
  const minted = mintToken('agent');
  const issued = await ctx.db.agent.updateMany({
    where: { id: agent.id, tokenHash: agent.tokenHash, revokedAt: null },
    data: { nextTokenHash: minted.hash },
  });
  return issued.count === 1 ? minted.token : undefined;
}

async function completeRotation(
  ctx: FleetContext,
  directory: AgentDirectory,
  agent: AgentEntry,
  now: Date,
): Promise<void> {
  const actor: Actor = { type: 'agent', id: agent.id, label: `agent ${agent.id}`, role: null };
  await inTransaction(ctx, async (tx, emit) => {
    const promoted = await tx.agent.updateMany({
      where: { id: agent.id, nextTokenHash: agent.tokenHash },
      data: {
        tokenHash: agent.tokenHash,
        nextTokenHash: null,
        tokenIssuedAt: now,
        tokenRotationRequestedAt: null,
      },
    });
    if (promoted.count === 0) return;
    await recordAudit(tx, actor, 'agent.token_rotated', { type: 'agent', id: agent.id }, null, {
      reason: agent.rotationRequested ? 'requested' : 'schedule',
    });
    emit('agentUpdated', { agentId: agent.id, groupId: agent.groupId, change: 'token' });
  });
  // This replica stops accepting the old token at once; the others on the event.
  directory.forgetAgentTokens(agent.id);
}

/**
 * Ask for the tokens of agents (by ids, or by filter: a group, or `{}` for the whole fleet) to be
 * rotated at their next heartbeat, in one transaction with one audit batch
 * (`agent.token_rotation_requested`). Fails with validation_failed, agent_not_found (an unknown or
 * revoked id) or too_many_agents; nothing is written then.
 */
export async function requestTokenRotation(
  ctx: FleetContext,
  actor: Actor,
  input: unknown,
): Promise<BulkOutcome> {
  const target = parseInput(RotateAgentTokensInput, input);
  const now = ctx.clock();
  return inTransaction(ctx, async (tx, emit) => {
    const agentIds = await bulkTargets(tx, target, now, ctx.tuning.current.offlineAfterMs);
    const rows = await tx.$queryRaw<{ id: string; group_id: string }[]>`
      UPDATE agents SET token_rotation_requested_at = ${now}, updated_at = ${now}
      WHERE id = ANY(${agentIds}::uuid[]) AND revoked_at IS NULL
      RETURNING id, group_id`;
    if (target.agentIds && rows.length !== agentIds.length) {
      throw new FleetError(FleetErrorCode.agentNotFound, 'some agents do not exist or are revoked');
    }
    const batchId = crypto.randomUUID();
    await recordAuditBatch(
      tx,
      actor,
      'agent.token_rotation_requested',
      'agent',
      rows.map((a) => ({ targetId: a.id, after: { batchId } })),
    );
    for (const a of rows) emit('agentUpdated', { agentId: a.id, groupId: a.group_id, change: 'token' });
    return { agentIds, changed: rows.length };
  });
}
