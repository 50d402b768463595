/**
 * Dashboard sessions: a successful sign-in creates a row holding the SHA-256 of a random secret;
 * the browser keeps the secret in an httpOnly cookie. Sessions end on logout, after SESSION_TTL_MS,
 * when the user is disabled or their password is reset (users.ts deletes the rows); every ending
 * is published as `credentialsRevoked`, which closes the session's WebSocket connections.
 */
import crypto from 'node:crypto';
import type { Actor, FleetContext } from './context.ts';
import { recordAudit } from './audit.ts';
import { inTransaction } from './transaction.ts';
import { hashToken } from './tokens.ts';
import { FleetError, FleetErrorCode } from './errors.ts';
import { isStorableText } from '../protocol/storable.ts';
import { MAX_EMAIL_LENGTH, deleteSessions, verifyCredentials, type PublicUser } from './users.ts';

/** How long a session lasts after sign-in. */
const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;
/** lastSeenAt is written at most this often per session. */
const LAST_SEEN_GRANULARITY_MS = 60_000;

export interface StartedSession {
  /** The secret for the cookie: returned once, stored only as its hash. */
  token: string;
  sessionId: string;
  expiresAt: Date;
  user: PublicUser;
}

export interface AuthenticatedSession {
  sessionId: string;
  actor: Actor;
  expiresAt: Date;
}

/** The actor a signed-in user acts as (their current role). */
export function userActor(user: Pick<PublicUser, 'id' | 'email' | 'role'>): Actor {
  return { type: 'user', id: user.id, label: user.email, role: user.role };
}

/** Where a sign-in attempt came from, for the audit log. */
export interface SignInSource {
  clientAddress?: string;
}

/**
 * The email of a sign-in attempt as the audit log keeps it: at most MAX_EMAIL_LENGTH characters,
 * with anything the database cannot store replaced by U+FFFD. The password is never kept.
 */
function attemptedEmail(email: string): string {
  const chars = Array.from(email.slice(0, MAX_EMAIL_LENGTH * 2)).slice(0, MAX_EMAIL_LENGTH);
  return chars.map((c) => (isStorableText(c) ? c : '\ufffd')).join('');
}

/** Audit a failed sign-in: who was tried (bounded email, the user's id when it exists) and from where. */
async function auditFailedSignIn(ctx: FleetContext, email: string, source: SignInSource): Promise<void> {
  const stored = attemptedEmail(email);
  const user = await ctx.db.user.findUnique({ where: { email: stored.trim().toLowerCase() } });
  const actor: Actor = { type: 'anonymous', id: null, label: stored, role: null };
  await recordAudit(ctx.db, actor, 'session.start_failed', { type: 'user', id: user?.id ?? null }, null, {
    email: stored,
    clientAddress: source.clientAddress?.slice(0, 64) ?? null,
  });
}

/**
 * Check the credentials and start a session. Throws FleetError(invalid_credentials) for an unknown
 * email, a wrong password or a disabled user; then only the failed attempt is audited (never the
 * password). Rejects when the database fails.
 */
export async function startSession(
  ctx: FleetContext,
  email: string,
  password: string,
  source: SignInSource = {},
): Promise<StartedSession> {
  const user = await verifyCredentials(ctx, email, password).catch(async (error: unknown) => {
    if (error instanceof FleetError && error.code === FleetErrorCode.invalidCredentials) {
      await auditFailedSignIn(ctx, email, source);
    }
    throw error;
  });
  const token = crypto.randomBytes(32).toString('base64url');
  const expiresAt = new Date(ctx.clock().getTime() + SESSION_TTL_MS);
  return inTransaction(ctx, async (tx) => {
    const session = await tx.session.create({
      data: { userId: user.id, tokenHash: hashToken(token), expiresAt },
    });
    await recordAudit(tx, userActor(user), 'session.start', { type: 'user', id: user.id }, null, null);
    return { token, sessionId: session.id, expiresAt, user };
  });
}

/**
 * Resolve a session cookie's secret to its session and actor, or null when it is unknown, expired
 * or its user is disabled. Refreshes lastSeenAt at most once a minute. Rejects only when the
 * database fails.
 */
export async function authenticateSession(
  ctx: FleetContext,
  token: string,
): Promise<AuthenticatedSession | null> {
  const session = await ctx.db.session.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { user: true },
  });
  const now = ctx.clock();
  if (!session || session.expiresAt <= now || session.user.disabledAt) return null;
  if (now.getTime() - session.lastSeenAt.getTime() > LAST_SEEN_GRANULARITY_MS) {
    await ctx.db.session.updateMany({ where: { id: session.id }, data: { lastSeenAt: now } });
  }
  return { sessionId: session.id, actor: userActor(session.user), expiresAt: session.expiresAt };
}

/**
 * End one session, or with `everywhere` every session of its user; their open WebSocket
 * connections close. Ending a session that is already gone does nothing. Resolves how many
 * sessions ended.
 */
export async function endSession(
  ctx: FleetContext,
  actor: Actor,
  sessionId: string,
  everywhere = false,
): Promise<number> {
  return inTransaction(ctx, async (tx, emit) => {
    const session = await tx.session.findUnique({ where: { id: sessionId } });
    if (!session) return 0;
    const ended = await deleteSessions(tx, emit, everywhere ? { userId: session.userId } : { id: sessionId });
    await recordAudit(tx, actor, 'session.end', { type: 'user', id: session.userId }, null, { everywhere });
    return ended;
  });
}
