/**
 * Job leases: one row per job name in `job_leases`, held by one replica until `expires_at`. The
 * take-or-renew is one conditional upsert, so two replicas asking at once cannot both win: the row
 * lock serialises them and the second sees the first's unexpired lease. Times come from the
 * caller's clock (the fleet's injected clock), so tests move leases forward without sleeping.
 */
import type { FleetContext } from './context.ts';

/**
 * Take the lease `name` for `holder` until `now + ttlMs`, or renew it when `holder` has it already.
 * Resolves true when `holder` holds it afterwards, false when another holder's lease is unexpired.
 * Rejects only on database errors.
 */
export async function acquireLease(
  ctx: FleetContext,
  name: string,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  const now = ctx.clock();
  const until = new Date(now.getTime() + ttlMs);
  const rows = await ctx.db.$queryRaw<{ holder: string }[]>`
    INSERT INTO job_leases (name, holder, expires_at) VALUES (${name}, ${holder}, ${until})
    ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
    WHERE job_leases.holder = EXCLUDED.holder OR job_leases.expires_at < ${now}
    RETURNING holder`;
  return rows.length === 1 && rows[0].holder === holder;
}

/** Give up the lease `name` when `holder` has it (at shutdown), so another replica takes over at once. */
export async function releaseLease(ctx: FleetContext, name: string, holder: string): Promise<void> {
  await ctx.db.jobLease.deleteMany({ where: { name, holder } });
}

/** Who holds the lease `name` as of the fleet clock, or null. */
export async function leaseHolder(ctx: FleetContext, name: string): Promise<string | null> {
  const row = await ctx.db.jobLease.findUnique({ where: { name } });
  return row && row.expiresAt.getTime() >= ctx.clock().getTime() ? row.holder : null;
}
