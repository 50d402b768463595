/**
 * Enrolment (EBT_) tokens: minted per group with a use count and a lifetime, shown once, stored as
 * SHA-256. Enrolment consumes one use atomically (see agents.ts → enrolAgent). A token enrols into
 * its own group; only a token minted with allowGroupOverride lets the enrolment name another.
 */
import { z } from 'zod';
import type { Actor, FleetContext } from './context.ts';
import type { EnrolmentToken } from '../generated/prisma/client.ts';
import { FleetError, FleetErrorCode } from './errors.ts';
import { recordAudit } from './audit.ts';
import { inTransaction } from './transaction.ts';
import { mintToken } from './tokens.ts';
import { parseInput } from './validate.ts';

const MAX_TOKEN_TTL_SECONDS = 365 * 24 * 3600;

export const MintEnrolmentTokenInput = z.object({
  groupId: z.uuid(),
  maxUses: z.number().int().min(1).max(1_000_000),
  ttlSeconds: z.number().int().min(60).max(MAX_TOKEN_TTL_SECONDS),
  /** Let enrolments name another group (groupSlug). Off by default: the token enrols into its own group only. */
  allowGroupOverride: z.boolean().default(false),
});
export const RevokeEnrolmentTokenInput = z.object({ id: z.uuid() });

export interface MintedEnrolmentToken {
  /** The secret EBT_ token: returned once, never stored. */
  token: string;
  record: EnrolmentToken;
}

function summary(t: EnrolmentToken) {
  return {
    prefix: t.prefix,
    groupId: t.groupId,
    maxUses: t.maxUses,
    expiresAt: t.expiresAt.toISOString(),
    allowGroupOverride: t.allowGroupOverride,
  };
}

/**
 * Mint a bootstrap token for a group. Fails with validation_failed or group_not_found and then
 * writes nothing. The secret is in the result only.
 */
export async function mintEnrolmentToken(
  ctx: FleetContext,
  actor: Actor,
  input: unknown,
): Promise<MintedEnrolmentToken> {
  const data = parseInput(MintEnrolmentTokenInput, input);
  const minted = mintToken('bootstrap');
  return inTransaction(ctx, async (tx) => {
    const group = await tx.group.findUnique({ where: { id: data.groupId } });
    if (!group) throw new FleetError(FleetErrorCode.groupNotFound, `no group with id ${data.groupId}`);
    const record = await tx.enrolmentToken.create({
      data: {
        groupId: data.groupId,
        tokenHash: minted.hash,
        prefix: minted.displayPrefix,
        maxUses: data.maxUses,
        allowGroupOverride: data.allowGroupOverride,
        expiresAt: new Date(ctx.clock().getTime() + data.ttlSeconds * 1000),
        createdById: actor.type === 'user' || actor.type === 'api_token' ? actor.id : null,
        createdBy: actor.label,
      },
    });
    await recordAudit(
      tx,
      actor,
      'enrolment_token.mint',
      { type: 'enrolment_token', id: record.id },
      null,
      summary(record),
    );
    return { token: minted.token, record };
  });
}

/** Revoke a bootstrap token; later enrolments with it get 401. Fails with token_not_found. */
export async function revokeEnrolmentToken(
  ctx: FleetContext,
  actor: Actor,
  input: unknown,
): Promise<EnrolmentToken> {
  const { id } = parseInput(RevokeEnrolmentTokenInput, input);
  return inTransaction(ctx, async (tx) => {
    const existing = await tx.enrolmentToken.findUnique({ where: { id } });
    if (!existing) throw new FleetError(FleetErrorCode.tokenNotFound, `no enrolment token with id ${id}`);
    if (existing.revokedAt) return existing;
    const revoked = await tx.enrolmentToken.update({ where: { id }, data: { revokedAt: ctx.clock() } });
    await recordAudit(
      tx,
      actor,
      'enrolment_token.revoke',
      { type: 'enrolment_token', id },
      summary(existing),
      null,
    );
    return revoked;
  });
}
