/**
 * API tokens (FLT_) for automation: tied to a user, acting with at most that user's role, shown
 * once, stored as SHA-256, with a last-used time. Revocations are published as
 * `credentialsRevoked`, which closes the token's WebSocket connections.
 */
import { z } from 'zod';
import type { Actor, FleetContext } from './context.ts';
import type { ApiToken, Role } from '../generated/prisma/client.ts';
import { FleetError, FleetErrorCode, validationError } from './errors.ts';
import { recordAudit } from './audit.ts';
import { inTransaction } from './transaction.ts';
import { TOKEN_PREFIX } from '../protocol/v1.ts';
import { bearerToken, hashToken, mintToken } from './tokens.ts';
import { parseInput, storableText } from './validate.ts';
import { roleAtLeast } from './users.ts';

export const CreateApiTokenInput = z
  .object({
    userId: z.uuid().optional(),
    email: z.email().optional(),
    name: storableText().trim().min(1, 'must not be empty').max(128),
    role: z.enum(['viewer', 'editor', 'admin']).optional(),
    ttlDays: z.number().int().min(1).max(3650).optional(),
  })
  .refine((v) => (v.userId === undefined) !== (v.email === undefined), {
    message: 'give userId or email',
    path: ['userId'],
  });
export const RevokeApiTokenInput = z.object({ id: z.uuid() });
export const RevokeUserApiTokensInput = z.object({ userId: z.uuid() });

export interface CreatedApiToken {
  /** The secret FLT_ token: returned once, never stored. */
  token: string;
  record: ApiToken;
}

/** Last-used times are written at most this often per token, to keep automation off the write path. */
const LAST_USED_GRANULARITY_MS = 60_000;

/**
 * Create an API token for a user with a role no higher than theirs (default: theirs). Fails with
 * user_not_found or validation_failed; nothing is written then.
 */
export async function createApiToken(
  ctx: FleetContext,
  actor: Actor,
  input: unknown,
): Promise<CreatedApiToken> {
  const data = parseInput(CreateApiTokenInput, input);
  const minted = mintToken('api');
  return inTransaction(ctx, async (tx) => {
    const user = await tx.user.findUnique({
      where: data.userId ? { id: data.userId } : { email: data.email!.toLowerCase() },
    });
    if (!user) throw new FleetError(FleetErrorCode.userNotFound, 'no such user');
    const role: Role = data.role ?? user.role;
    if (!roleAtLeast(user.role, role)) {
      throw validationError([
        { path: 'role', message: `the user is ${user.role}; a token cannot have more rights` },
      ]);
    }
    const record = await tx.apiToken.create({
      data: {
        userId: user.id,
        name: data.name,
        tokenHash: minted.hash,
        prefix: minted.displayPrefix,
        role,
        expiresAt: data.ttlDays ? new Date(ctx.clock().getTime() + data.ttlDays * 86_400_000) : null,
      },
    });
    await recordAudit(tx, actor, 'api_token.create', { type: 'api_token', id: record.id }, null, {
      name: record.name,
      role,
      userId: user.id,
      prefix: record.prefix,
    });
    return { token: minted.token, record };
  });
}

/**
 * Revoke an API token; it is refused from then on and its WebSocket connections close. Fails with
 * token_not_found.
 */
export async function revokeApiToken(ctx: FleetContext, actor: Actor, input: unknown): Promise<ApiToken> {
  const { id } = parseInput(RevokeApiTokenInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const existing = await tx.apiToken.findUnique({ where: { id } });
    if (!existing) throw new FleetError(FleetErrorCode.tokenNotFound, `no API token with id ${id}`);
    if (existing.revokedAt) return existing;
    const revoked = await tx.apiToken.update({ where: { id }, data: { revokedAt: ctx.clock() } });
    await recordAudit(
      tx,
      actor,
      'api_token.revoke',
      { type: 'api_token', id },
      { name: existing.name },
      null,
    );
    emit('credentialsRevoked', { apiTokenIds: [id] });
    return revoked;
  });
}

/**
 * Revoke every active API token of one user in one step (API tokens survive a password reset: they
 * are separate credentials; this is how an admin ends them all); their WebSocket connections
 * close. Audited once, naming the tokens.
 * Fails with user_not_found; resolves the number revoked (0 when none was active).
 */
export async function revokeUserApiTokens(ctx: FleetContext, actor: Actor, input: unknown): Promise<number> {
  const { userId } = parseInput(RevokeUserApiTokensInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const user = await tx.user.findUnique({ where: { id: userId } });
    if (!user) throw new FleetError(FleetErrorCode.userNotFound, `no user with id ${userId}`);
    const active = await tx.apiToken.findMany({
      where: { userId, revokedAt: null },
      select: { id: true, prefix: true },
    });
    if (active.length === 0) return 0;
    await tx.apiToken.updateMany({
      where: { id: { in: active.map((t) => t.id) }, revokedAt: null },
      data: { revokedAt: ctx.clock() },
    });
    await recordAudit(tx, actor, 'api_token.revoke_all', { type: 'user', id: userId }, null, {
      revoked: active.length,
      prefixes: active.map((t) => t.prefix),
    });
    emit('credentialsRevoked', { apiTokenIds: active.map((t) => t.id) });
    return active.length;
  });
}

/** An API token that authenticated: which one, who it acts as, and until when. */
export interface AuthenticatedApiToken {
  tokenId: string;
  actor: Actor;
  expiresAt: Date | null;
}

/**
 * Resolve a presented FLT_ token to the token and the actor it acts as, or null when it is unknown,
 * revoked, expired or its user is disabled. Updates lastUsedAt at most once a minute.
 */
async function resolveApiToken(ctx: FleetContext, token: string): Promise<AuthenticatedApiToken | null> {
  const record = await ctx.db.apiToken.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { user: true },
  });
  const now = ctx.clock();
  if (!record || record.revokedAt || record.user.disabledAt || (record.expiresAt && record.expiresAt <= now))
    return null;
  if (!record.lastUsedAt || now.getTime() - record.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
    await ctx.db.apiToken.update({ where: { id: record.id }, data: { lastUsedAt: now } });
  }
  const role = roleAtLeast(record.user.role, record.role) ? record.role : record.user.role;
  const actor: Actor = {
    type: 'api_token',
    id: record.user.id,
    label: `${record.user.email} (token ${record.name})`,
    role,
  };
  return { tokenId: record.id, actor, expiresAt: record.expiresAt };
}

/**
 * Resolve a presented FLT_ token to the actor it acts as, or null when it is unknown, revoked,
 * expired or its user is disabled. Updates lastUsedAt at most once a minute.
 */
export async function authenticateApiToken(ctx: FleetContext, token: string): Promise<Actor | null> {
  return (await resolveApiToken(ctx, token))?.actor ?? null;
}

/**
 * The API token behind an `Authorization: Bearer FLT_…` header, or null when the header is
 * missing, malformed, not an API token, or names a token that is unknown, revoked, expired or
 * belongs to a disabled user. REST and GraphQL both authenticate automation through this one
 * function.
 */
export async function apiTokenFromBearer(
  ctx: FleetContext,
  authorization: string | undefined,
): Promise<AuthenticatedApiToken | null> {
  const token = bearerToken(authorization);
  if (!token?.startsWith(TOKEN_PREFIX.api)) return null;
  return resolveApiToken(ctx, token);
}

/** The actor of apiTokenFromBearer, or null. */
export async function apiTokenActorFromBearer(
  ctx: FleetContext,
  authorization: string | undefined,
): Promise<Actor | null> {
  return (await apiTokenFromBearer(ctx, authorization))?.actor ?? null;
}
