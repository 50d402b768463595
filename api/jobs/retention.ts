/**
 * Retention: every FLOTILLA_RETENTION_INTERVAL_SECONDS the replica holding the `retention` lease
 * deletes what the FLOTILLA_RETAIN_* settings no longer keep (api/fleet/retention.ts), in bounded
 * batches. A replica that dies hands the lease over within three intervals.
 */
import type { Logger } from 'pino';
import type { RetentionPolicy } from '../config.ts';
import type { FleetContext } from '../fleet/context.ts';
import { pruneExpired } from '../fleet/retention.ts';
import { createLeasedJob, type LeasedJob } from './lease.ts';

/** Create the retention job; it first prunes one interval after start(). */
export function createRetentionJob(
  ctx: FleetContext,
  policy: RetentionPolicy,
  intervalMs: number,
  log: Logger,
): LeasedJob {
  return createLeasedJob(ctx, 'retention', intervalMs, log, async () => {
    const report = await pruneExpired(ctx, policy, ctx.clock());
    const deleted =
      report.actions + report.auditEvents + report.agents + report.sessions + report.diagnostics;
    if (deleted > 0)
      log.info({ ...report, longestBatchMs: Math.round(report.longestBatchMs) }, 'retention pruned');
  });
}
