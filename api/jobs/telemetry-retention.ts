/**
 * Telemetry retention: every interval, the replica that gets the maintenance lock creates the
 * history partitions ahead of time and drops the days older than their retention
 * (fleet/telemetry/partitions.ts). The others skip the round, so one replica at a time prunes.
 */
import type { Logger } from 'pino';
import type { FleetContext } from '../fleet/context.ts';
import { maintainPartitions, type TelemetryRetention } from '../fleet/telemetry/partitions.ts';
import { createPeriodicJob, type Job } from './sweeper.ts';

/** Create the retention job, run every `intervalMs` after start(). */
export function createTelemetryRetention(
  ctx: FleetContext,
  retention: TelemetryRetention,
  intervalMs: number,
  log: Logger,
): Job {
  return createPeriodicJob(intervalMs, async () => {
    try {
      const { ran, created, dropped } = await maintainPartitions(ctx, ctx.clock(), retention);
      if (ran && (created.length > 0 || dropped.length > 0))
        log.info({ created, dropped }, 'telemetry partitions');
    } catch (error) {
      log.error({ err: error }, 'telemetry retention failed');
    }
  });
}
