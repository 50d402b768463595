/**
 * The rollouts job: every interval, on the one replica holding the `rollouts` lease, advance every
 * rollout in progress (fleet/rollout/driver.ts). The rollout state lives in the database, so a
 * replica that takes the lease over (or a restarted server) carries on where the last one stopped.
 */
import type { Logger } from 'pino';
import type { FleetContext } from '../fleet/context.ts';
import { driveRollouts, rolloutsDue } from '../fleet/rollout/driver.ts';
import { createLeasedJob, type LeasedJob } from './lease.ts';

/** The lease name of the rollouts job in `job_leases`. */
export const ROLLOUTS_LEASE = 'rollouts';

/**
 * Create the rollouts job (call start() to run it every `intervalMs`; runOnce() for one round).
 * A rollout whose step fails is logged and tried again next round; nothing is thrown. Rounds with
 * no rollout in progress and no pin left take no lease and write nothing.
 */
export function createRolloutsJob(ctx: FleetContext, intervalMs: number, log: Logger): LeasedJob {
  return createLeasedJob(
    ctx,
    ROLLOUTS_LEASE,
    intervalMs,
    log,
    () => driveRollouts(ctx, (rolloutId, err) => log.error({ err, rolloutId }, 'rollout step failed')),
    () => rolloutsDue(ctx),
  );
}
