/**
 * Retention: every FLOTILLA_RETENTION_INTERVAL_SECONDS the replica holding the `retention` lease
 * deletes what the retention settings in effect (the fleet settings, defaulting to FLOTILLA_RETAIN_*;
 * read each round, so a change applies from the next round) no longer keep (api/fleet/retention.ts),
 * in bounded batches. A replica that dies hands the lease over within three intervals.
 */
import type { Logger } from 'pino';
import type { FleetContext } from '../fleet/context.ts';
import { pruneExpired } from '../fleet/retention.ts';
import { createLeasedJob, type LeasedJob } from './lease.ts';

/** Create the retention job; it first prunes one interval after start(). */
export function createRetentionJob(ctx: FleetContext, intervalMs: number, log: Logger): LeasedJob {
  return createLeasedJob(ctx, 'retention', intervalMs, log, async () => {
    const report = await pruneExpired(ctx, ctx.tuning.current.retention, ctx.clock());
    const deleted =
      report.actions + report.auditEvents + report.agents + report.sessions + report.diagnostics;
    if (deleted > 0)
      log.info({ ...report, longestBatchMs: Math.round(report.longestBatchMs) }, 'retention pruned');
  });
}
