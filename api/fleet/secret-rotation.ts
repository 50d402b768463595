/**
 * Key rotation and the start-up check of secret keys. To rotate: set the new key as
 * FLOTILLA_SECRET_KEY and the old one in FLOTILLA_SECRET_KEY_PREVIOUS, then start the server (it
 * re-encrypts at start) or run `npm run flotilla -- secrets rotate`; once done, drop the old key.
 */
import { ConfigurationError } from '../config.ts';
import { CLI_ACTOR, type Actor, type FleetContext } from './context.ts';
import { recordAudit } from './audit.ts';
import { inTransaction } from './transaction.ts';
import { open, seal } from './secret-crypto.ts';

/** Thrown when stored secrets cannot be read with the configured keys; the message says what to set. */
export class SecretKeyError extends ConfigurationError {}

/**
 * Check that every stored secret can be decrypted with the configured keys. Call at start, before
 * serving; rejects with SecretKeyError when secrets exist but FLOTILLA_SECRET_KEY is unset, or
 * when a secret's key is neither the current nor a previous one.
 */
export async function checkSecretKeys(ctx: FleetContext): Promise<void> {
  const keys = ctx.settings.secretKeys;
  const rows = await ctx.db.secret.groupBy({ by: ['keyId'], _count: { _all: true } });
  const stored = rows.reduce((n, r) => n + r._count._all, 0);
  if (stored === 0) return;
  if (!keys) {
    throw new SecretKeyError(
      `${stored} secret(s) are stored but FLOTILLA_SECRET_KEY is not set: set it to the key they were encrypted with`,
    );
  }
  const known = new Set([keys.current.id, ...keys.previous.map((k) => k.id)]);
  const unknown = rows.filter((r) => !known.has(r.keyId)).map((r) => r.keyId);
  if (unknown.length > 0) {
    throw new SecretKeyError(
      `secrets are encrypted with key(s) ${unknown.join(', ')}, which are neither FLOTILLA_SECRET_KEY nor listed in FLOTILLA_SECRET_KEY_PREVIOUS`,
    );
  }
}

/**
 * Re-encrypt every secret not under the current key (decrypting with a previous key), one
 * transaction, audited as `secrets.rotate` when anything changed. Resolves how many were
 * re-encrypted (0 without a key). Rejects, changing nothing, when a secret does not decrypt.
 */
export async function rotateSecrets(ctx: FleetContext, actor: Actor = CLI_ACTOR): Promise<number> {
  const keys = ctx.settings.secretKeys;
  if (!keys) return 0;
  return inTransaction(ctx, async (tx) => {
    const stale = await tx.secret.findMany({
      where: { keyId: { not: keys.current.id } },
      orderBy: { id: 'asc' },
    });
    for (const row of stale) {
      const value = open(keys, row.scope, row.name, row);
      await tx.secret.update({ where: { id: row.id }, data: seal(keys, row.scope, row.name, value) });
    }
    if (stale.length > 0) {
      await recordAudit(tx, actor, 'secrets.rotate', { type: 'secret', id: null }, null, {
        reEncrypted: stale.length,
        keyId: keys.current.id,
      });
    }
    return stale.length;
  });
}
