/**
 * Secrets: named credentials per group and fleet-wide, encrypted at rest (secret-crypto.ts) and
 * referenced from options as `SECRET[name]` (a group's own secret first, then the fleet-wide one).
 * The stored pipeline, rendered configs, previews, audit rows and logs only ever hold the
 * reference; the value is substituted when a config is delivered to an agent of the group
 * (resolveDeliveredConfig, called by the agent directory for the REST config route).
 *
 * A changed value must reach agents although the stored config does not change, and the config
 * route answers "up to date" (204) from the in-memory version alone. So changing a secret
 * republishes every group that resolves that name to it: a new config version (audited as
 * `group.republish`), whose delivery carries the new value and a new etag.
 */
import { z } from 'zod';
import type { Actor, FleetContext, Tx } from './context.ts';
import type { Secret } from '../generated/prisma/client.ts';
import { FleetError, FleetErrorCode, isUniqueViolation, validationError } from './errors.ts';
import { recordAudit } from './audit.ts';
import { inTransaction, type Emit } from './transaction.ts';
import { findGroupForUpdate } from './group-lock.ts';
import { publishGroupConfig } from './publish.ts';
import { parseInput } from './validate.ts';
import { open, seal, type SecretKeyring } from './secret-crypto.ts';
import {
  SECRET_NAME,
  referencedNames,
  referencesIn,
  resolveReferences,
  secretReference,
} from './secret-refs.ts';

/** The scope of fleet-wide secrets; a group's secrets have the group id as scope. */
export const FLEET_SCOPE = 'fleet';

/** A secret as every reader sees it: never the value or its ciphertext. */
export type SecretInfo = Omit<Secret, 'ciphertext' | 'keyId'>;

const Name = z.string().regex(SECRET_NAME, 'use 1–64 letters, digits and "_"');
const Value = z.string().min(1, 'must not be empty').max(16_384);

export const CreateSecretInput = z.object({
  groupId: z.uuid().nullable().default(null),
  name: Name,
  value: Value,
});
export const UpdateSecretInput = z.object({ id: z.uuid(), value: Value });
export const DeleteSecretInput = z.object({ id: z.uuid() });

/** The keyring, or secret_key_missing naming the variable. */
export function requireKeyring(ctx: FleetContext): SecretKeyring {
  const keys = ctx.settings.secretKeys;
  if (!keys) {
    throw new FleetError(
      FleetErrorCode.secretKeyMissing,
      'secrets need FLOTILLA_SECRET_KEY on the server (32 bytes, e.g. `openssl rand -base64 32`)',
    );
  }
  return keys;
}

/** Ids of groups whose published pipeline references `name`. */
async function referencingGroups(tx: Tx, name: string): Promise<string[]> {
  const needle = secretReference(name);
  const rows = await tx.$queryRaw<{ group_id: string }[]>`
    SELECT v.group_id FROM pipeline_versions v
    JOIN groups g ON g.id = v.group_id AND g.config_version = v.version
    WHERE strpos(v.document::text, ${needle}) > 0`;
  return rows.map((r) => r.group_id).sort();
}

/** Groups that resolve `name` to the secret of `scope` (a group secret shadows the fleet one). */
async function groupsResolvingTo(tx: Tx, scope: string, name: string): Promise<string[]> {
  const referencing = await referencingGroups(tx, name);
  if (scope !== FLEET_SCOPE) return referencing.filter((id) => id === scope);
  const own = await tx.secret.findMany({
    where: { name, scope: { in: referencing } },
    select: { scope: true },
  });
  const shadowed = new Set(own.map((s) => s.scope));
  return referencing.filter((id) => !shadowed.has(id));
}

/** Lock and republish `groupIds` (sorted, so concurrent changes lock in one order), auditing each. */
async function republish(
  tx: Tx,
  emit: Emit,
  actor: Actor,
  groupIds: string[],
  reason: string,
  now: Date,
  offlineAfterMs: number,
): Promise<void> {
  for (const id of groupIds) {
    await findGroupForUpdate(tx, id);
    const configVersion = await publishGroupConfig(tx, id, emit, {
      actor,
      message: reason,
      now,
      offlineAfterMs,
    });
    await recordAudit(tx, actor, 'group.republish', { type: 'group', id }, null, { configVersion, reason });
  }
}

const info = (s: Secret): SecretInfo => {
  const { ciphertext: _c, keyId: _k, ...rest } = s;
  return rest;
};
const auditView = (s: Pick<Secret, 'name' | 'scope'>) => ({ name: s.name, scope: s.scope });

/**
 * Store a new secret for a group (or fleet-wide with groupId null) and republish the groups whose
 * references now resolve to it. Fails with secret_key_missing, validation_failed, group_not_found
 * or conflict (name taken in that scope); nothing is written then.
 */
export async function createSecret(ctx: FleetContext, actor: Actor, input: unknown): Promise<SecretInfo> {
  const keyring = requireKeyring(ctx);
  const data = parseInput(CreateSecretInput, input);
  const scope = data.groupId ?? FLEET_SCOPE;
  try {
    return await inTransaction(ctx, async (tx, emit) => {
      if (data.groupId) await findGroupForUpdate(tx, data.groupId);
      const affected = await groupsResolvingTo(tx, scope, data.name);
      const created = await tx.secret.create({
        data: {
          groupId: data.groupId,
          scope,
          name: data.name,
          ...seal(keyring, scope, data.name, data.value),
          createdBy: actor.label,
          updatedBy: actor.label,
        },
      });
      await recordAudit(
        tx,
        actor,
        'secret.create',
        { type: 'secret', id: created.id },
        null,
        auditView(created),
      );
      await republish(
        tx,
        emit,
        actor,
        affected,
        `secret ${data.name} created`,
        ctx.clock(),
        ctx.tuning.current.offlineAfterMs,
      );
      return info(created);
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const issue = validationError([{ path: 'name', message: `"${data.name}" is already a secret here` }]);
    throw new FleetError(FleetErrorCode.conflict, issue.message, issue.issues);
  }
}

async function lockSecret(tx: Tx, id: string): Promise<Secret> {
  const locked = await tx.$queryRaw<
    { id: string }[]
  >`SELECT id FROM secrets WHERE id = ${id}::uuid FOR UPDATE`;
  if (locked.length === 0) throw new FleetError(FleetErrorCode.secretNotFound, `no secret with id ${id}`);
  return tx.secret.findUniqueOrThrow({ where: { id } });
}

/**
 * Replace a secret's value and republish every group that resolves it, so their agents get a new
 * config version with the new value. Fails with secret_key_missing, validation_failed or
 * secret_not_found; nothing is written then.
 */
export async function updateSecret(ctx: FleetContext, actor: Actor, input: unknown): Promise<SecretInfo> {
  const keyring = requireKeyring(ctx);
  const data = parseInput(UpdateSecretInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const existing = await tx.secret.findUnique({ where: { id: data.id } });
    if (!existing) throw new FleetError(FleetErrorCode.secretNotFound, `no secret with id ${data.id}`);
    // Groups first, then the secret row: pipeline changes lock in the same order (group, then secrets).
    const affected = await groupsResolvingTo(tx, existing.scope, existing.name);
    for (const id of affected) await findGroupForUpdate(tx, id);
    await lockSecret(tx, data.id);
    const updated = await tx.secret.update({
      where: { id: data.id },
      data: { ...seal(keyring, existing.scope, existing.name, data.value), updatedBy: actor.label },
    });
    await recordAudit(
      tx,
      actor,
      'secret.update',
      { type: 'secret', id: data.id },
      auditView(existing),
      auditView(updated),
    );
    await republish(
      tx,
      emit,
      actor,
      affected,
      `secret ${existing.name} changed`,
      ctx.clock(),
      ctx.tuning.current.offlineAfterMs,
    );
    return info(updated);
  });
}

/**
 * Delete a secret. Refused with secret_in_use (naming the groups) while any group's pipeline
 * resolves a reference to it; fails with secret_not_found. Nothing is republished: no config used it.
 */
export async function deleteSecret(ctx: FleetContext, actor: Actor, input: unknown): Promise<SecretInfo> {
  const { id } = parseInput(DeleteSecretInput, input);
  return inTransaction(ctx, async (tx) => {
    const existing = await lockSecret(tx, id);
    const users = await groupsResolvingTo(tx, existing.scope, existing.name);
    if (users.length > 0) {
      const groups = await tx.group.findMany({ where: { id: { in: users } }, select: { slug: true } });
      throw new FleetError(
        FleetErrorCode.secretInUse,
        `secret ${existing.name} is referenced by group(s) ${groups.map((g) => g.slug).join(', ')}: remove the references first`,
      );
    }
    await tx.secret.delete({ where: { id } });
    await recordAudit(tx, actor, 'secret.delete', { type: 'secret', id }, auditView(existing), null);
    return info(existing);
  });
}

/**
 * Inside a pipeline change of `groupId`: check that every `SECRET[name]` in `options` resolves,
 * and hold a share lock on those secrets until the transaction ends (so a concurrent delete waits
 * and then sees the reference). Throws secret_not_found naming each field.
 */
export async function checkSecretReferences(tx: Tx, groupId: string, options: unknown): Promise<void> {
  const refs = referencesIn(options);
  if (refs.length === 0) return;
  const names = [...new Set(refs.map((r) => r.name))];
  const found = await tx.$queryRaw<{ name: string }[]>`
    SELECT name FROM secrets WHERE scope IN (${groupId}, ${FLEET_SCOPE}) AND name = ANY(${names}::text[])
    ORDER BY id FOR SHARE`;
  const known = new Set(found.map((r) => r.name));
  const missing = refs.filter((r) => !known.has(r.name));
  if (missing.length === 0) return;
  const issues = missing.map((r) => ({
    path: r.path,
    message: `no secret named ${r.name} in this group or fleet-wide`,
  }));
  throw new FleetError(FleetErrorCode.secretNotFound, `${issues[0].path}: ${issues[0].message}`, issues);
}

/**
 * The bytes an agent of `groupId` receives for a stored config: references replaced by the
 * decrypted values (the group's secret, else the fleet-wide one). Call only on the agent config
 * path; the result must never be logged or stored. Rejects with an Error naming (never revealing)
 * a secret that is missing or does not decrypt, or saying that no key is configured.
 */
export async function resolveDeliveredConfig(
  ctx: FleetContext,
  groupId: string,
  yaml: string,
): Promise<string> {
  const names = referencedNames(yaml);
  if (names.length === 0) return yaml;
  // A server-side fault, not the agent's: a plain Error is logged and answered 500.
  const keyring = ctx.settings.secretKeys;
  if (!keyring) throw new Error('a config references secrets but FLOTILLA_SECRET_KEY is not set');
  const rows = await ctx.db.secret.findMany({
    where: { name: { in: names }, scope: { in: [groupId, FLEET_SCOPE] } },
  });
  const values = new Map<string, string>();
  // Fleet-wide first, so the group's own secret of the same name overwrites it.
  const ordered = [
    ...rows.filter((r) => r.scope === FLEET_SCOPE),
    ...rows.filter((r) => r.scope !== FLEET_SCOPE),
  ];
  for (const row of ordered) values.set(row.name, open(keyring, row.scope, row.name, row));
  return resolveReferences(yaml, (name) => values.get(name));
}
