/**
 * The alert evaluator: one round judges every rule against its signal (signals.ts) and moves each
 * subject's alert through the state machine, then queues notifications (deliveries.ts sends them).
 *
 *   (none) ──breach──▶ pending ──breach lasted `for`──▶ firing ──no breach──▶ resolved (history)
 *              │           └──no breach──▶ (dropped: it never fired)
 *              └── `for` = 0: straight to firing
 *
 * A disabled rule has no breaches, so its open alerts resolve. Notifications: a firing alert is
 * announced once, as soon as no silence (rules.ts) mutes it — so an alert that fired while silenced
 * is announced when the silence ends if it still fires; a resolution is announced only for an alert
 * that was announced. Runs on one replica at a time (jobs/alerts.ts takes the lease); each rule's
 * changes are one transaction, and alertUpdated is published after it commits.
 */
import { randomUUID } from 'node:crypto';
import type {
  AlertInstance,
  AlertRule,
  AlertSilence,
  AlertState,
  Prisma,
} from '../../generated/prisma/client.ts';
import type { FleetContext, Tx } from '../context.ts';
import { inTransaction, type Emit } from '../transaction.ts';
import { activeSilences, isSilenced, ruleScope } from './rules.ts';
import { MAX_ALERT_SUBJECTS_PER_RULE, SIGNALS, type AlertKind } from './signals.ts';
import type { Breach } from './signal.ts';

type OpenState = Extract<AlertState, 'pending' | 'firing'>;

/** Where an alert goes next; `dropped`: a pending alert whose breach ended before `for` passed. */
export type NextState = AlertState | 'dropped' | null;

/**
 * The state machine: the next state of a subject's open alert (null: none open) given whether it
 * breaches now. `null` result: nothing to do. Pure; never throws.
 */
export function nextAlertState(
  open: { state: OpenState; startedAt: Date } | null,
  breaching: boolean,
  forMs: number,
  now: Date,
): NextState {
  if (!open) return breaching ? (forMs === 0 ? 'firing' : 'pending') : null;
  if (!breaching) return open.state === 'pending' ? 'dropped' : 'resolved';
  if (open.state === 'firing') return 'firing';
  return now.getTime() - open.startedAt.getTime() >= forMs ? 'firing' : 'pending';
}

export type AlertEvent = 'firing' | 'resolved';

/** The JSON a webhook receives (and Slack's text is made from): version 1 of the payload. */
export interface AlertNotification {
  version: 1;
  deliveryId: string;
  event: AlertEvent;
  alert: {
    id: string;
    ruleId: string;
    ruleName: string;
    kind: string;
    subject: string;
    agentId: string | null;
    state: AlertState;
    value: number | null;
    summary: string;
    startedAt: string;
    firedAt: string | null;
    resolvedAt: string | null;
  };
}

/** Queue one delivery per channel of `rule` announcing `event` of `alert`. */
async function queueDeliveries(
  tx: Tx,
  rule: AlertRule,
  alert: AlertInstance,
  event: AlertEvent,
  now: Date,
): Promise<void> {
  if (rule.channelIds.length === 0) return;
  const data = rule.channelIds.map((channelId) => {
    const id = randomUUID();
    const body: AlertNotification = {
      version: 1,
      deliveryId: id,
      event,
      alert: {
        id: alert.id,
        ruleId: rule.id,
        ruleName: rule.name,
        kind: rule.kind,
        subject: alert.subject,
        agentId: alert.agentId,
        state: alert.state,
        value: alert.value,
        summary: alert.summary,
        startedAt: alert.startedAt.toISOString(),
        firedAt: alert.firedAt?.toISOString() ?? null,
        resolvedAt: alert.resolvedAt?.toISOString() ?? null,
      },
    };
    return {
      id,
      channelId,
      instanceId: alert.id,
      event,
      body: body as unknown as Prisma.InputJsonValue,
      nextAttemptAt: now,
    };
  });
  await tx.alertDelivery.createMany({ data });
}

/** Apply one subject's transition; returns the alert after it, `dropped`, or null (nothing open or breaching). */
async function transition(
  tx: Tx,
  rule: AlertRule,
  open: AlertInstance | undefined,
  breach: Breach | undefined,
  now: Date,
): Promise<AlertInstance | 'dropped' | null> {
  const next = nextAlertState(
    open ? { state: open.state as OpenState, startedAt: open.startedAt } : null,
    breach !== undefined,
    rule.forSeconds * 1000,
    now,
  );
  if (next === null) return null;
  if (next === 'dropped') {
    await tx.alertInstance.delete({ where: { id: (open as AlertInstance).id } });
    return 'dropped';
  }
  const observed = breach ? { value: breach.value, summary: breach.summary } : {};
  if (!open) {
    return tx.alertInstance.create({
      data: {
        ruleId: rule.id,
        subject: (breach as Breach).subject,
        agentId: (breach as Breach).agentId,
        state: next,
        ...observed,
        summary: (breach as Breach).summary,
        startedAt: now,
        firedAt: next === 'firing' ? now : null,
      },
    });
  }
  const unchanged = next === open.state && open.value === breach?.value && open.summary === breach?.summary;
  if (unchanged) return open;
  return tx.alertInstance.update({
    where: { id: open.id },
    data: {
      state: next,
      ...observed,
      firedAt: next === 'firing' && open.state === 'pending' ? now : undefined,
      resolvedAt: next === 'resolved' ? now : undefined,
    },
  });
}

/** Judge one rule: transitions and notifications in one transaction. */
async function evaluateRule(
  ctx: FleetContext,
  rule: AlertRule,
  silences: AlertSilence[],
  now: Date,
): Promise<void> {
  const signal = SIGNALS[rule.kind as AlertKind];
  const breaches =
    rule.enabled && signal
      ? await signal.breaches(
          ctx,
          await ruleScope(ctx, rule, now),
          rule.threshold,
          now,
          MAX_ALERT_SUBJECTS_PER_RULE,
        )
      : [];
  await inTransaction(ctx, async (tx, emit: Emit) => {
    const open = await tx.alertInstance.findMany({
      where: { ruleId: rule.id, state: { in: ['pending', 'firing'] } },
    });
    const openBySubject = new Map(open.map((a) => [a.subject, a]));
    const breachBySubject = new Map(breaches.map((b) => [b.subject, b]));
    const subjects = new Set([...openBySubject.keys(), ...breachBySubject.keys()]);
    for (const subject of subjects) {
      const before = openBySubject.get(subject);
      const after = await transition(tx, rule, before, breachBySubject.get(subject), now);
      if (after === null) continue;
      if (after === 'dropped') {
        emit('alertUpdated', { instanceId: (before as AlertInstance).id, ruleId: rule.id, state: 'dropped' });
        continue;
      }
      let alert = after;
      const silenced = isSilenced(silences, rule.id, alert.agentId);
      if (alert.state === 'firing' && alert.notifiedAt === null && !silenced) {
        await queueDeliveries(tx, rule, alert, 'firing', now);
        alert = await tx.alertInstance.update({ where: { id: alert.id }, data: { notifiedAt: now } });
      } else if (alert.state === 'resolved' && before?.state === 'firing' && alert.notifiedAt !== null) {
        await queueDeliveries(tx, rule, alert, 'resolved', now);
      }
      if (alert !== before)
        emit('alertUpdated', { instanceId: alert.id, ruleId: rule.id, state: alert.state });
    }
  });
}

/**
 * Run one evaluation round as of the fleet clock: every rule, one after another. A rule whose
 * evaluation fails (database error) is reported through `onError` and the others still run.
 * Call only while holding the alerts lease (jobs/alerts.ts).
 */
export async function evaluateAlerts(
  ctx: FleetContext,
  onError: (ruleId: string, error: unknown) => void,
): Promise<void> {
  const now = ctx.clock();
  const [rules, silences] = await Promise.all([
    ctx.db.alertRule.findMany({ orderBy: { createdAt: 'asc' } }),
    activeSilences(ctx, now),
  ]);
  for (const rule of rules) {
    try {
      await evaluateRule(ctx, rule, silences, now);
    } catch (error) {
      onError(rule.id, error);
    }
  }
}
