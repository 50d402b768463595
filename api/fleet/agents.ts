/**
 * Agents: enrolment, moves between groups, revocation and labels. Heartbeats live in
 * heartbeats.ts, the hot-path view of agents in agent-directory.ts.
 */
import { z } from 'zod';
import type { Actor, FleetContext, Tx } from './context.ts';
import type { Agent, EnrolmentToken, Group, Prisma } from '../generated/prisma/client.ts';
import type { EnrolRequest } from '../protocol/v1.ts';
import { FleetError, FleetErrorCode } from './errors.ts';
import { recordAudit } from './audit.ts';
import { inTransaction } from './transaction.ts';
import { hashToken, mintToken } from './tokens.ts';
import { parseInput } from './validate.ts';

export interface EnrolledAgent {
  agent: Agent;
  /** The secret AGT_ token: returned once, stored only as its hash. */
  agentToken: string;
  configVersion: number;
}

/**
 * Enrol a host with a bootstrap token, consuming one use atomically: N concurrent enrolments on a
 * token with k uses left create exactly min(N, k) agents. The agent joins the token's group; a
 * `groupSlug` naming another group needs a token minted with allowGroupOverride. Fails with
 * bootstrap_token_invalid / _expired / _exhausted, group_override_forbidden or group_not_found;
 * nothing is written then.
 */
export async function enrolAgent(ctx: FleetContext, request: EnrolRequest): Promise<EnrolledAgent> {
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
        hostname: request.hostname,
        platform: request.platform,
        os: request.os,
        kernel: request.kernel,
        agentVersion: request.agentVersion,
        vectorVersion: request.vectorVersion,
      },
    });
    const actor: Actor = { type: 'agent', id: agent.id, label: `enrolment ${token.prefix}`, role: null };
    await recordAudit(tx, actor, 'agent.enrol', { type: 'agent', id: agent.id }, null, {
      hostname: agent.hostname,
      groupId: group.id,
      platform: agent.platform,
    });
    emit('agentUpdated', { agentId: agent.id, groupId: group.id, change: 'enrolled' });
    return { agent, agentToken: minted.token, configVersion: group.configVersion };
  });
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

const AgentIds = z.array(z.uuid()).min(1, 'select at least one agent').max(100_000);
export const MoveAgentsInput = z.object({ agentIds: AgentIds, groupId: z.uuid() });
export const RevokeAgentsInput = z.object({ agentIds: AgentIds });
const LabelKey = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.\/-]{0,62}$/, 'label keys: letters, digits, "_", ".", "/", "-"');
export const SetAgentLabelsInput = z.object({
  agentId: z.uuid(),
  labels: z
    .record(LabelKey, z.string().max(255))
    .refine((l) => Object.keys(l).length <= 64, 'at most 64 labels'),
});

/**
 * Move agents to another group: their applied version resets to 0 and their next poll gets the new
 * group's config whatever `since` they send. Fails with group_not_found or agent_not_found (when any
 * id is unknown or revoked); nothing is written then. Returns the number moved.
 */
export async function moveAgents(ctx: FleetContext, actor: Actor, input: unknown): Promise<number> {
  const { agentIds, groupId } = parseInput(MoveAgentsInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const group = await tx.group.findUnique({ where: { id: groupId } });
    if (!group) throw new FleetError(FleetErrorCode.groupNotFound, `no group with id ${groupId}`);
    const agents = await tx.agent.findMany({
      where: { id: { in: agentIds }, revokedAt: null },
      select: { id: true, groupId: true },
    });
    if (agents.length !== new Set(agentIds).size) {
      throw new FleetError(FleetErrorCode.agentNotFound, 'some agents do not exist or are revoked');
    }
    const moving = agents.filter((a) => a.groupId !== groupId);
    await tx.agent.updateMany({
      where: { id: { in: moving.map((a) => a.id) } },
      data: {
        groupId,
        appliedConfigVersion: 0,
        configResetPending: true,
        configErrorVersion: null,
        configErrorMessage: null,
      },
    });
    for (const a of moving) {
      await recordAudit(
        tx,
        actor,
        'agent.move',
        { type: 'agent', id: a.id },
        { groupId: a.groupId },
        { groupId },
      );
      emit('agentUpdated', { agentId: a.id, groupId, change: 'moved', previousGroupId: a.groupId });
    }
    return moving.length;
  });
}

/**
 * Revoke agents: their token gets 403 from now on and their pending actions are cancelled.
 * Already revoked agents are skipped. Fails with agent_not_found for unknown ids. Returns the number revoked.
 */
export async function revokeAgents(ctx: FleetContext, actor: Actor, input: unknown): Promise<number> {
  const { agentIds } = parseInput(RevokeAgentsInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const agents = await tx.agent.findMany({
      where: { id: { in: agentIds } },
      select: { id: true, groupId: true, revokedAt: true },
    });
    if (agents.length !== new Set(agentIds).size)
      throw new FleetError(FleetErrorCode.agentNotFound, 'some agents do not exist');
    const revoking = agents.filter((a) => !a.revokedAt);
    const ids = revoking.map((a) => a.id);
    await tx.agent.updateMany({ where: { id: { in: ids } }, data: { revokedAt: ctx.clock() } });
    const cancelled = await tx.action.findMany({ where: { agentId: { in: ids }, status: 'pending' } });
    await tx.action.updateMany({
      where: { id: { in: cancelled.map((a) => a.id) } },
      data: { status: 'cancelled', finishedAt: ctx.clock() },
    });
    for (const a of revoking) {
      await recordAudit(tx, actor, 'agent.revoke', { type: 'agent', id: a.id }, null, null);
      emit('agentUpdated', { agentId: a.id, groupId: a.groupId, change: 'revoked' });
    }
    for (const a of cancelled) {
      emit('actionUpdated', { actionId: a.id, agentId: a.agentId, bulkId: a.bulkId, status: 'cancelled' });
    }
    return revoking.length;
  });
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
