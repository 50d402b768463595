/**
 * The alerts job: every interval, on the one replica holding the `alerts` lease, evaluate every
 * rule (fleet/alerts/evaluate.ts) and send the notifications that are due (deliveries.ts).
 */
import type { Logger } from 'pino';
import type { FleetContext } from '../fleet/context.ts';
import { evaluateAlerts } from '../fleet/alerts/evaluate.ts';
import { sendDueDeliveries } from '../fleet/alerts/deliveries.ts';
import { createLeasedJob, type LeasedJob } from './lease.ts';

/** The lease name of the alerts job in `job_leases`. */
export const ALERTS_LEASE = 'alerts';

/**
 * Create the alerts job (call start() to run it every `intervalMs`; runOnce() for one round).
 * `observe` receives each round's duration, for /metrics. Failures are logged, never thrown.
 */
export function createAlertsJob(
  ctx: FleetContext,
  intervalMs: number,
  log: Logger,
  observe: (seconds: number) => void = () => undefined,
): LeasedJob {
  return createLeasedJob(ctx, ALERTS_LEASE, intervalMs, log, async () => {
    const started = process.hrtime.bigint();
    await evaluateAlerts(ctx, (ruleId, err) => log.error({ err, ruleId }, 'alert rule evaluation failed'));
    await sendDueDeliveries(ctx);
    observe(Number(process.hrtime.bigint() - started) / 1e9);
  });
}
