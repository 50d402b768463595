/**
 * Users and roles (viewer < editor < admin). Passwords are stored as scrypt hashes only.
 */
import { z } from 'zod';
import type { Actor, FleetContext, Tx } from './context.ts';
import type { Prisma, Role, User } from '../generated/prisma/client.ts';
import { FleetError, FleetErrorCode, isUniqueViolation, validationError } from './errors.ts';
import { recordAudit } from './audit.ts';
import { inTransaction, type Emit } from './transaction.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { parseInput } from './validate.ts';
import { isStorableText } from '../protocol/storable.ts';

export const ROLES: Role[] = ['viewer', 'editor', 'admin'];

/** True when `role` includes every right of `required`. */
export function roleAtLeast(role: Role | null, required: Role): boolean {
  return role !== null && ROLES.indexOf(role) >= ROLES.indexOf(required);
}

/** Longest email address (RFC 5321 path limit); longer sign-in attempts are cut to this in the audit log. */
export const MAX_EMAIL_LENGTH = 254;

const Email = z
  .email()
  .max(MAX_EMAIL_LENGTH)
  .transform((e) => e.toLowerCase());
export const Password = z.string().min(12, 'use at least 12 characters').max(1024);
export const CreateUserInput = z.object({
  email: Email,
  role: z.enum(['viewer', 'editor', 'admin']),
  password: Password,
});
export const ResetPasswordInput = z.object({ email: Email, password: Password });
export const UpdateUserInput = z.object({
  id: z.uuid(),
  role: z.enum(['viewer', 'editor', 'admin']).optional(),
  disabled: z.boolean().optional(),
});

export type PublicUser = Omit<User, 'passwordHash'>;

function publicUser(u: User): PublicUser {
  const { passwordHash: _hash, ...rest } = u;
  return rest;
}

/**
 * Delete `where`'s sessions inside `tx` and announce them (after the commit) so WebSocket
 * connections signed in with them close. Resolves how many ended.
 */
export async function deleteSessions(tx: Tx, emit: Emit, where: Prisma.SessionWhereInput): Promise<number> {
  const ended = (await tx.session.findMany({ where, select: { id: true } })).map((s) => s.id);
  if (ended.length === 0) return 0;
  await tx.session.deleteMany({ where: { id: { in: ended } } });
  emit('credentialsRevoked', { sessionIds: ended });
  return ended.length;
}

/** Create a user. Fails with validation_failed or conflict (email taken); nothing is written then. */
export async function createUser(ctx: FleetContext, actor: Actor, input: unknown): Promise<PublicUser> {
  const data = parseInput(CreateUserInput, input);
  const passwordHash = await hashPassword(data.password);
  try {
    return await inTransaction(ctx, async (tx) => {
      const user = await tx.user.create({ data: { email: data.email, role: data.role, passwordHash } });
      await recordAudit(tx, actor, 'user.create', { type: 'user', id: user.id }, null, {
        email: user.email,
        role: user.role,
      });
      return publicUser(user);
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      const e = validationError([{ path: 'email', message: `${data.email} already has an account` }]);
      throw new FleetError(FleetErrorCode.conflict, e.message, e.issues);
    }
    throw error;
  }
}

/**
 * Set a new password for a user by email and end their sessions (their WebSocket connections
 * close). Fails with user_not_found.
 */
export async function resetPassword(ctx: FleetContext, actor: Actor, input: unknown): Promise<PublicUser> {
  const data = parseInput(ResetPasswordInput, input);
  const passwordHash = await hashPassword(data.password);
  return inTransaction(ctx, async (tx, emit) => {
    const existing = await tx.user.findUnique({ where: { email: data.email } });
    if (!existing) throw new FleetError(FleetErrorCode.userNotFound, `no user with email ${data.email}`);
    const user = await tx.user.update({ where: { id: existing.id }, data: { passwordHash } });
    await deleteSessions(tx, emit, { userId: user.id });
    await recordAudit(tx, actor, 'user.reset_password', { type: 'user', id: user.id }, null, null);
    return publicUser(user);
  });
}

/**
 * Change a user's role or disable them (disabling ends their sessions). Either makes every open
 * WebSocket connection of the user re-check its credential (`credentialsRevoked` with the user's
 * id): disabled users and lowered roles are closed. Fails with user_not_found.
 */
export async function updateUser(ctx: FleetContext, actor: Actor, input: unknown): Promise<PublicUser> {
  const data = parseInput(UpdateUserInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const before = await tx.user.findUnique({ where: { id: data.id } });
    if (!before) throw new FleetError(FleetErrorCode.userNotFound, `no user with id ${data.id}`);
    const disabledAt =
      data.disabled === undefined ? undefined : data.disabled ? (before.disabledAt ?? ctx.clock()) : null;
    const user = await tx.user.update({ where: { id: data.id }, data: { role: data.role, disabledAt } });
    if (user.disabledAt) await deleteSessions(tx, emit, { userId: user.id });
    if (user.role !== before.role || (user.disabledAt && !before.disabledAt)) {
      emit('credentialsRevoked', { userId: user.id });
    }
    await recordAudit(
      tx,
      actor,
      'user.update',
      { type: 'user', id: user.id },
      { role: before.role, disabled: before.disabledAt !== null },
      { role: user.role, disabled: user.disabledAt !== null },
    );
    return publicUser(user);
  });
}

/**
 * Check an email and password. Resolves the user, or throws invalid_credentials for an unknown
 * email, a wrong password or a disabled user (one message for all three).
 */
export async function verifyCredentials(
  ctx: FleetContext,
  email: string,
  password: string,
): Promise<PublicUser> {
  const normalized = email.trim().toLowerCase();
  // An email no account can have (too long, or text the database cannot hold) is an unknown user.
  const lookup = normalized.length <= MAX_EMAIL_LENGTH && isStorableText(normalized);
  const user = lookup ? await ctx.db.user.findUnique({ where: { email: normalized } }) : null;
  const ok = user
    ? await verifyPassword(password, user.passwordHash)
    : await hashPassword(password).then(() => false);
  if (!user || !ok || user.disabledAt) {
    throw new FleetError(FleetErrorCode.invalidCredentials, 'wrong email or password');
  }
  return publicUser(user);
}

/** Number of users; start-up uses it to decide whether to create the first admin. */
export async function countUsers(ctx: FleetContext): Promise<number> {
  return ctx.db.user.count();
}
