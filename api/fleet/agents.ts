/**
 * Agents: enrolment, moves between groups, revocation and labels. Heartbeats live in
 * heartbeats.ts, the hot-path view of agents in agent-directory.ts.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import type { Actor, FleetContext, Tx } from './context.ts';
import { Prisma, type Agent, type EnrolmentToken, type Group } from '../generated/prisma/client.ts';
import type { EnrolRequest } from '../protocol/v1.ts';
import { FleetError, FleetErrorCode, isUniqueViolation } from './errors.ts';
import { settleNewcomers } from './rollout/newcomers.ts';
import { recordAudit, recordAuditBatch } from './audit.ts';
import { transitionActions } from './action-states.ts';
import { AgentFilterInput, bulkTargets } from './queries.ts';
import type { AgentDirectory } from './agent-directory.ts';
import { inTransaction, type Emit } from './transaction.ts';
import { hashToken, mintToken, type MintedToken } from './tokens.ts';
import { parseInput, storableText } from './validate.ts';
import { naturalKey, versionKey } from './sort-keys.ts';

export interface EnrolledAgent {
  agent: Agent;
  /** The secret AGT_ token: returned once, stored only as its hash. */
  agentToken: string;
  configVersion: number;
}

/**
 * Enrol a host with a bootstrap token, consuming one use atomically: N concurrent enrolments on a
 * token with k uses left create exactly min(N, k) agents. The agent joins the token's group; a
 * `groupSlug` naming another group needs a token minted with allowGroupOverride. A request whose
 * `enrolmentKey` names an agent already enrolled with this token and never heard from is a retry
 * whose answer was lost: the same agent gets a new token, and no use is consumed. Fails with
 * bootstrap_token_invalid / _expired / _exhausted, group_override_forbidden, group_not_found or
 * enrolment_key_used (the key's agent was heard from, revoked, or enrolled with another token);
 * nothing is written then.
 */
export async function enrolAgent(ctx: FleetContext, request: EnrolRequest): Promise<EnrolledAgent> {
  try {
    return await enrolOnce(ctx, request);
  } catch (error) {
    // Two attempts of one enrolment at once: this one waited on the other's new row, now stored.
    if (request.enrolmentKey !== undefined && isUniqueViolation(error)) return enrolOnce(ctx, request);
    throw error;
  }
}

async function enrolOnce(ctx: FleetContext, request: EnrolRequest): Promise<EnrolledAgent> {
  const minted = mintToken('agent');
  const now = ctx.clock();
  return inTransaction(ctx, async (tx, emit) => {
    const token = await tx.enrolmentToken.findUnique({
      where: { tokenHash: hashToken(request.bootstrapToken) },
    });
    if (!token || token.revokedAt) {
      throw new FleetError(FleetErrorCode.bootstrapTokenInvalid, 'the bootstrap token is unknown or revoked');
    }
    if (token.expiresAt <= now)
      throw new FleetError(FleetErrorCode.bootstrapTokenExpired, 'the bootstrap token has expired');
    if (request.enrolmentKey !== undefined) {
      const earlier = await tx.agent.findUnique({ where: { enrolmentKey: request.enrolmentKey } });
      if (earlier) return replayEnrolment(tx, emit, earlier, token, minted, now);
    }
    const group = await enrolmentGroup(tx, token, request.groupSlug);
    const consumed = await tx.enrolmentToken.updateMany({
      where: {
        id: token.id,
        revokedAt: null,
        expiresAt: { gt: now },
        uses: { lt: tx.enrolmentToken.fields.maxUses },
      },
      data: { uses: { increment: 1 } },
    });
    if (consumed.count === 0) {
      throw new FleetError(FleetErrorCode.bootstrapTokenExhausted, 'the bootstrap token has no uses left');
    }
    const agent = await tx.agent.create({
      data: {
        groupId: group.id,
        tokenHash: minted.hash,
        enrolmentTokenId: token.id,
        enrolmentKey: request.enrolmentKey,
        hostname: request.hostname,
        hostnameSortKey: naturalKey(request.hostname),
        platform: request.platform,
        os: request.os,
        kernel: request.kernel,
        agentVersion: request.agentVersion,
        vectorVersion: request.vectorVersion,
        agentVersionKey: versionKey(request.agentVersion),
        vectorVersionKey: versionKey(request.vectorVersion),
      },
    });
    const actor: Actor = { type: 'agent', id: agent.id, label: `enrolment ${token.prefix}`, role: null };
    await recordAudit(tx, actor, 'agent.enrol', { type: 'agent', id: agent.id }, null, {
      hostname: agent.hostname,
      groupId: group.id,
      platform: agent.platform,
    });
    await settleNewcomers(tx, emit, group.id, [agent.id], now);
    emit('agentUpdated', { agentId: agent.id, groupId: group.id, change: 'enrolled' });
    emit('enrolmentTokenUsed', { tokenId: token.id, agentId: agent.id, groupId: group.id });
    return { agent, agentToken: minted.token, configVersion: group.configVersion };
  });
}

/** A retried enrolment (see enrolAgent): the same agent, a new token, the same group. */
async function replayEnrolment(
  tx: Tx,
  emit: Emit,
  earlier: Agent,
  token: EnrolmentToken,
  minted: MintedToken,
  now: Date,
): Promise<EnrolledAgent> {
  if (earlier.enrolmentTokenId !== token.id || earlier.revokedAt || earlier.lastHeartbeatAt) {
    throw new FleetError(
      FleetErrorCode.enrolmentKeyUsed,
      'this enrolmentKey belongs to an agent already heard from, revoked, or enrolled with another token: enrol with a new key',
    );
  }
  const agent = await tx.agent.update({
    where: { id: earlier.id },
    data: { tokenHash: minted.hash, tokenIssuedAt: now },
  });
  const group = await tx.group.findUniqueOrThrow({ where: { id: agent.groupId } });
  const actor: Actor = { type: 'agent', id: agent.id, label: `enrolment ${token.prefix}`, role: null };
  await recordAudit(tx, actor, 'agent.enrol_retried', { type: 'agent', id: agent.id }, null, {
    hostname: agent.hostname,
    groupId: group.id,
  });
  emit('agentUpdated', { agentId: agent.id, groupId: group.id, change: 'token' });
  return { agent, agentToken: minted.token, configVersion: group.configVersion };
}

/**
 * The group an enrolment joins. Without allowGroupOverride, a slug other than the token's own group
 * gets group_override_forbidden whether or not that group exists, so tokens cannot probe slugs.
 */
async function enrolmentGroup(
  tx: Tx,
  token: Pick<EnrolmentToken, 'groupId' | 'allowGroupOverride'>,
  slug: string | undefined,
): Promise<Group> {
  const own = await tx.group.findUniqueOrThrow({ where: { id: token.groupId } });
  if (slug === undefined || slug === own.slug) return own;
  if (!token.allowGroupOverride) {
    throw new FleetError(
      FleetErrorCode.groupOverrideForbidden,
      'this enrolment token enrols into its own group only; mint one that allows choosing the group',
    );
  }
  const chosen = await tx.group.findUnique({ where: { slug } });
  if (!chosen) throw new FleetError(FleetErrorCode.groupNotFound, `no group with slug "${slug}"`);
  return chosen;
}

/** Target agents by `agentIds` or by `filter` (exactly one); see queries.ts → bulkTargets. */
const BulkAgents = {
  agentIds: z.array(z.uuid()).nullish(),
  filter: AgentFilterInput.nullish(),
};
export const MoveAgentsInput = z.object({ ...BulkAgents, groupId: z.uuid() });
export const RevokeAgentsInput = z.object(BulkAgents);
export const RotateAgentTokensInput = z.object(BulkAgents);
const LabelKey = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.\/-]{0,62}$/, 'label keys: letters, digits, "_", ".", "/", "-"');
export const SetAgentLabelsInput = z.object({
  agentId: z.uuid(),
  labels: z
    .record(LabelKey, storableText().max(255))
    .refine((l) => Object.keys(l).length <= 64, 'at most 64 labels'),
});

/** The outcome of a bulk change of agents. */
export interface BulkOutcome {
  /** Every agent the request targeted (by id, or matching the filter). */
  agentIds: string[];
  /** How many of them changed (agents already in the group, or already revoked, did not). */
  changed: number;
}

/** Throw agent_not_found unless every id names an agent (a non-revoked one unless `revokedToo`). */
async function assertAgents(tx: Tx, ids: string[], revokedToo: boolean): Promise<void> {
  const found = await tx.agent.count({
    where: { id: { in: ids }, ...(revokedToo ? {} : { revokedAt: null }) },
  });
  if (found !== ids.length) {
    const what = revokedToo ? 'some agents do not exist' : 'some agents do not exist or are revoked';
    throw new FleetError(FleetErrorCode.agentNotFound, what);
  }
}

/**
 * Move agents (by ids or by filter) to another group in ONE transaction with one audit batch:
 * their applied and delivered versions reset, their config pin (a rollout of the old group) goes,
 * and their next poll gets the new group's baseline whatever `since` they send. Fails with group_not_found, agent_not_found (an id unknown or revoked),
 * validation_failed or too_many_agents; nothing is written then.
 */
export async function moveAgents(ctx: FleetContext, actor: Actor, input: unknown): Promise<BulkOutcome> {
  const { groupId, ...target } = parseInput(MoveAgentsInput, input);
  const now = ctx.clock();
  return inTransaction(ctx, async (tx, emit) => {
    const group = await tx.group.findUnique({ where: { id: groupId } });
    if (!group) throw new FleetError(FleetErrorCode.groupNotFound, `no group with id ${groupId}`);
    const agentIds = await bulkTargets(tx, target, now, ctx.tuning.current.offlineAfterMs);
    if (target.agentIds) await assertAgents(tx, agentIds, false);
    const moved = await tx.$queryRaw<{ id: string; previous_group_id: string }[]>`
      UPDATE agents AS a SET group_id = ${groupId}::uuid, applied_config_version = 0, applied_at = NULL,
        config_reset_pending = true, config_error_version = NULL, config_error_message = NULL,
        delivered_config_version = NULL, delivered_at = NULL, updated_at = ${now}
      FROM agents AS old
      WHERE old.id = a.id AND a.id = ANY(${agentIds}::uuid[]) AND a.revoked_at IS NULL
        AND a.group_id <> ${groupId}::uuid
      RETURNING a.id, old.group_id AS previous_group_id`;
    await settleNewcomers(
      tx,
      emit,
      groupId,
      moved.map((a) => a.id),
      now,
    );
    const batchId = crypto.randomUUID();
    await recordAuditBatch(
      tx,
      actor,
      'agent.move',
      'agent',
      moved.map((a) => ({
        targetId: a.id,
        before: { groupId: a.previous_group_id },
        after: { groupId, batchId },
      })),
    );
    for (const a of moved)
      emit('agentUpdated', { agentId: a.id, groupId, change: 'moved', previousGroupId: a.previous_group_id });
    return { agentIds, changed: moved.length };
  });
}

/**
 * Revoke agents (by ids or by filter) in ONE transaction with one audit batch: their token gets
 * 403 from now on, their config pins go and their pending actions are cancelled (through the
 * action transition table).
 * Already revoked agents are skipped. Fails with agent_not_found for unknown ids, validation_failed
 * or too_many_agents; nothing is written then.
 */
export async function revokeAgents(ctx: FleetContext, actor: Actor, input: unknown): Promise<BulkOutcome> {
  const target = parseInput(RevokeAgentsInput, input);
  const now = ctx.clock();
  return inTransaction(ctx, async (tx, emit) => {
    const agentIds = await bulkTargets(tx, target, now, ctx.tuning.current.offlineAfterMs);
    if (target.agentIds) await assertAgents(tx, agentIds, true);
    const revoked = await tx.$queryRaw<{ id: string; group_id: string }[]>`
      UPDATE agents SET revoked_at = ${now}, updated_at = ${now}
      WHERE id = ANY(${agentIds}::uuid[]) AND revoked_at IS NULL
      RETURNING id, group_id`;
    const ids = revoked.map((a) => a.id);
    await dropConfigPins(tx, ids);
    await transitionActions(tx, Prisma.sql`agent_id = ANY(${ids}::uuid[])`, 'cancelled', now, emit);
    const batchId = crypto.randomUUID();
    await recordAuditBatch(
      tx,
      actor,
      'agent.revoke',
      'agent',
      revoked.map((a) => ({ targetId: a.id, after: { batchId } })),
    );
    for (const a of revoked) emit('agentUpdated', { agentId: a.id, groupId: a.group_id, change: 'revoked' });
    return { agentIds, changed: revoked.length };
  });
}

/**
 * Delete the config pins of agents leaving their group (moved or revoked), inside the caller's
 * transaction; replicas drop them from memory on the agentUpdated the caller emits.
 */
async function dropConfigPins(tx: Tx, agentIds: string[]): Promise<void> {
  if (agentIds.length > 0) await tx.agentConfigPin.deleteMany({ where: { agentId: { in: agentIds } } });
}

/** Replace an agent's labels. Fails with validation_failed or agent_not_found; nothing is written then. */
export async function setAgentLabels(ctx: FleetContext, actor: Actor, input: unknown): Promise<Agent> {
  const { agentId, labels } = parseInput(SetAgentLabelsInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const before = await tx.agent.findUnique({ where: { id: agentId } });
    if (!before) throw new FleetError(FleetErrorCode.agentNotFound, `no agent with id ${agentId}`);
    const agent = await tx.agent.update({
      where: { id: agentId },
      data: { labels: labels as Prisma.InputJsonValue },
    });
    await recordAudit(
      tx,
      actor,
      'agent.labels',
      { type: 'agent', id: agentId },
      { labels: before.labels },
      { labels },
    );
    emit('agentUpdated', { agentId, groupId: agent.groupId, change: 'labels' });
    return agent;
  });
}

/**
 * Note that a moved agent was just sent its new group's config: clear its config-reset flag in the
 * database and in `directory`, and publish agentUpdated ('config'). Idempotent (a second call
 * changes nothing in the database). Rejects only when the database fails.
 */
export async function acknowledgeConfigReset(
  ctx: FleetContext,
  directory: AgentDirectory,
  agentId: string,
  groupId: string,
): Promise<void> {
  await ctx.db.agent.updateMany({
    where: { id: agentId, configResetPending: true },
    data: { configResetPending: false },
  });
  directory.clearConfigReset(agentId);
  ctx.events.publish('agentUpdated', { agentId, groupId, change: 'config' });
}
