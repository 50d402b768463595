/**
 * Sending queued notifications (evaluate.ts queues them): a webhook gets the alert JSON signed as
 * channels.ts describes, a Slack channel gets `{"text"}`. Outcomes, per attempt:
 *  - 2xx: delivered;
 *  - 408, 429, 5xx, no answer (refused, timeout): retried after 30 s, 1, 2, 4 … minutes (doubling,
 *    capped at 15 minutes), at most DELIVERY_MAX_ATTEMPTS attempts, then failed;
 *  - any other status (a 3xx is not followed, a 4xx means the receiver refuses): failed at once.
 * Every attempt is appended to the delivery's log with its status code; alertUpdated tells
 * dashboards the alert's delivery log changed. Runs on the replica holding the alerts lease.
 */
import type { AlertDelivery, NotificationChannel, Prisma } from '../../generated/prisma/client.ts';
import type { FleetContext } from '../context.ts';
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  openChannel,
  signWebhook,
  type ChannelType,
} from './channels.ts';
import type { AlertNotification } from './evaluate.ts';

export const DELIVERY_MAX_ATTEMPTS = 8;
const BACKOFF_BASE_MS = 30_000;
const BACKOFF_CAP_MS = 15 * 60_000;
/** How long one attempt may take before it counts as no answer. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Deliveries attempted per round (the rest wait for the next round). */
const BATCH = 50;
/** Attempts kept in a delivery's log. */
const LOG_ENTRIES = DELIVERY_MAX_ATTEMPTS;

/** The wait after failed attempt number `attempt` (1-based). Pure. */
export function retryDelayMs(attempt: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** (attempt - 1), BACKOFF_CAP_MS);
}

/** Whether an attempt that got `status` (null: no answer) should be tried again. Pure. */
export function isRetryable(status: number | null): boolean {
  return status === null || status === 408 || status === 429 || status >= 500;
}

/** The Slack incoming-webhook message for a notification. Pure. */
export function slackMessage(n: AlertNotification): { text: string } {
  const mark = n.event === 'firing' ? ':rotating_light: FIRING' : ':white_check_mark: RESOLVED';
  return { text: `${mark} *${n.alert.ruleName}* (${n.alert.kind}): ${n.alert.summary}` };
}

/** The request one attempt sends to a channel of `type` at `timestamp` (unix seconds). */
export function deliveryRequest(
  type: ChannelType,
  secret: string,
  notification: AlertNotification,
  timestamp: number,
): { body: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'flotilla-alerts/1',
  };
  if (type === 'slack') return { body: JSON.stringify(slackMessage(notification)), headers };
  const body = JSON.stringify(notification);
  headers[TIMESTAMP_HEADER] = String(timestamp);
  headers[SIGNATURE_HEADER] = signWebhook(secret, timestamp, body);
  headers['x-flotilla-delivery'] = notification.deliveryId;
  return { body, headers };
}

/** POST one attempt; resolves the status code or the reason there was none. Never rejects. */
async function post(
  url: string,
  request: { body: string; headers: Record<string, string> },
): Promise<{ status: number | null; error: string | null }> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      ...request,
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return { status: res.status, error: res.ok ? null : `HTTP ${res.status}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { status: null, error: cause ?? (error as Error).name ?? 'request failed' };
  }
}

/** Make one attempt of `delivery` and record it. */
async function attempt(
  ctx: FleetContext,
  delivery: AlertDelivery & { channel: NotificationChannel },
): Promise<void> {
  const now = ctx.clock();
  let outcome: { status: number | null; error: string | null };
  try {
    const target = openChannel(ctx, delivery.channel);
    const notification = delivery.body as unknown as AlertNotification;
    const request = deliveryRequest(
      delivery.channel.type as ChannelType,
      target.secret,
      notification,
      Math.floor(now.getTime() / 1000),
    );
    outcome = await post(target.url, request);
  } catch (error) {
    // The channel does not decrypt (key missing or rotated away): no attempt can succeed.
    outcome = { status: null, error: (error as Error).message };
    return record(ctx, delivery, now, outcome, 'failed');
  }
  const attempts = delivery.attempts + 1;
  const state =
    outcome.error === null
      ? 'delivered'
      : isRetryable(outcome.status) && attempts < DELIVERY_MAX_ATTEMPTS
        ? 'pending'
        : 'failed';
  return record(ctx, delivery, now, outcome, state);
}

async function record(
  ctx: FleetContext,
  delivery: AlertDelivery,
  now: Date,
  outcome: { status: number | null; error: string | null },
  state: 'pending' | 'delivered' | 'failed',
): Promise<void> {
  const attempts = delivery.attempts + 1;
  const log = [
    ...(delivery.log as Prisma.JsonArray),
    { at: now.toISOString(), status: outcome.status, error: outcome.error },
  ].slice(-LOG_ENTRIES);
  await ctx.db.alertDelivery.update({
    where: { id: delivery.id },
    data: {
      state,
      attempts,
      lastStatus: outcome.status,
      lastError: outcome.error,
      log,
      nextAttemptAt: state === 'pending' ? new Date(now.getTime() + retryDelayMs(attempts)) : undefined,
    },
  });
  const alert = await ctx.db.alertInstance.findUnique({ where: { id: delivery.instanceId } });
  if (alert)
    ctx.events.publish('alertUpdated', { instanceId: alert.id, ruleId: alert.ruleId, state: alert.state });
}

/**
 * Attempt every delivery that is due as of the fleet clock (up to a batch per round, oldest first,
 * a few at a time). Call only while holding the alerts lease. Rejects only on database errors.
 */
export async function sendDueDeliveries(ctx: FleetContext): Promise<number> {
  const due = await ctx.db.alertDelivery.findMany({
    where: { state: 'pending', nextAttemptAt: { lte: ctx.clock() } },
    include: { channel: true },
    orderBy: { nextAttemptAt: 'asc' },
    take: BATCH,
  });
  for (let i = 0; i < due.length; i += 5) await Promise.all(due.slice(i, i + 5).map((d) => attempt(ctx, d)));
  return due.length;
}
