/**
 * Alert rules and silences: validated (typed errors, nothing stored on bad input), audited, and
 * published on `alertRuleUpdated` so the evaluator and dashboards see the change. A rule watches one
 * signal kind (signals.ts) over every agent, one group's agents, or agents matching a selector in
 * the agent query language (agent-query.ts), and fires once the breach has lasted `forSeconds`.
 */
import { z } from 'zod';
import type { AlertRule, AlertSilence, Prisma } from '../../generated/prisma/client.ts';
import type { Actor, FleetContext, Tx } from '../context.ts';
import { FleetError, FleetErrorCode, isUniqueViolation, validationError } from '../errors.ts';
import { recordAudit } from '../audit.ts';
import { inTransaction } from '../transaction.ts';
import { parseInput, storableText } from '../validate.ts';
import { AgentQueryError, MAX_AGENT_QUERY_LENGTH, parseAgentQuery } from '../agent-query.ts';
import { compileAgentQuery } from '../agent-query-compile.ts';
import { ALERT_KINDS, SIGNALS, type AlertKind } from './signals.ts';

/** Longest `for` duration: one week. */
export const MAX_ALERT_FOR_SECONDS = 7 * 24 * 3600;
/** Longest silence: ninety days. */
export const MAX_SILENCE_SECONDS = 90 * 24 * 3600;
/** Most channels one rule notifies. */
export const MAX_RULE_CHANNELS = 20;

const Name = storableText().trim().min(1, 'must not be empty').max(120);
const RuleFields = z.object({
  name: Name,
  kind: z.enum(ALERT_KINDS as [AlertKind, ...AlertKind[]]),
  threshold: z.number().finite().nullable().default(null),
  forSeconds: z.number().int().min(0).max(MAX_ALERT_FOR_SECONDS).default(0),
  groupId: z.uuid().nullable().default(null),
  selector: storableText().trim().min(1).max(MAX_AGENT_QUERY_LENGTH).nullable().default(null),
  enabled: z.boolean().default(true),
  channelIds: z.array(z.uuid()).max(MAX_RULE_CHANNELS).default([]),
});
type RuleFields = z.output<typeof RuleFields>;

export const CreateAlertRuleInput = RuleFields;
export const UpdateAlertRuleInput = RuleFields.partial().extend({ id: z.uuid() });
export const DeleteAlertRuleInput = z.object({ id: z.uuid() });
export const CreateAlertSilenceInput = z.object({
  ruleId: z.uuid().nullable().default(null),
  agentId: z.uuid().nullable().default(null),
  comment: storableText().trim().min(1, 'say why').max(500),
  durationSeconds: z.number().int().min(60).max(MAX_SILENCE_SECONDS),
});
export const DeleteAlertSilenceInput = z.object({ id: z.uuid() });

/** The rule's threshold against its kind, scope exclusivity and selector syntax; throws validation_failed. */
function checkRule(rule: RuleFields): void {
  const spec = SIGNALS[rule.kind].threshold;
  const issues: { path: string; message: string }[] = [];
  if (spec === null && rule.threshold !== null)
    issues.push({ path: 'threshold', message: `${rule.kind} takes no threshold` });
  if (spec !== null && rule.threshold === null)
    issues.push({ path: 'threshold', message: `${rule.kind} needs a threshold (${spec.description})` });
  if (spec !== null && rule.threshold !== null && (rule.threshold < spec.min || rule.threshold > spec.max))
    issues.push({ path: 'threshold', message: `must be ${spec.min} to ${spec.max} ${spec.unit}` });
  if (rule.groupId !== null && rule.selector !== null)
    issues.push({ path: 'selector', message: 'scope a rule to a group or a selector, not both' });
  if (rule.selector !== null) {
    try {
      parseAgentQuery(rule.selector);
    } catch (error) {
      if (!(error instanceof AgentQueryError)) throw error;
      issues.push({ path: 'selector', message: error.message });
    }
  }
  if (issues.length > 0) throw validationError(issues);
}

/** Check that the group and channels a rule names exist; throws group_not_found / channel_not_found. */
async function checkReferences(tx: Tx, rule: RuleFields): Promise<void> {
  if (rule.groupId && !(await tx.group.findUnique({ where: { id: rule.groupId }, select: { id: true } })))
    throw new FleetError(FleetErrorCode.groupNotFound, `no group with id ${rule.groupId}`);
  const ids = [...new Set(rule.channelIds)];
  const found = await tx.notificationChannel.count({ where: { id: { in: ids } } });
  if (found !== ids.length)
    throw new FleetError(FleetErrorCode.channelNotFound, 'a channel in channelIds does not exist');
}

/**
 * The agents a rule watches as of `now`: every agent not revoked, narrowed to its group or selector.
 * Rejects with validation_failed when a stored selector no longer parses (it was checked on save).
 */
export async function ruleScope(
  ctx: FleetContext,
  rule: Pick<AlertRule, 'groupId' | 'selector'>,
  now: Date,
): Promise<Prisma.AgentWhereInput> {
  const base: Prisma.AgentWhereInput[] = [{ revokedAt: null }];
  if (rule.groupId) base.push({ groupId: rule.groupId });
  if (rule.selector)
    base.push(
      await compileAgentQuery(ctx.db, parseAgentQuery(rule.selector), now, ctx.tuning.current.offlineAfterMs),
    );
  return { AND: base };
}

const auditView = (r: AlertRule) => ({
  name: r.name,
  kind: r.kind,
  threshold: r.threshold,
  forSeconds: r.forSeconds,
  groupId: r.groupId,
  selector: r.selector,
  enabled: r.enabled,
  channelIds: r.channelIds,
});

function conflictOnName(error: unknown, name: string): never {
  if (!isUniqueViolation(error)) throw error;
  const issue = validationError([{ path: 'name', message: `"${name}" is already an alert rule` }]);
  throw new FleetError(FleetErrorCode.conflict, issue.message, issue.issues);
}

/**
 * Create an alert rule. Fails with validation_failed, group_not_found, channel_not_found or conflict
 * (name taken); nothing is written then.
 */
export async function createAlertRule(ctx: FleetContext, actor: Actor, input: unknown): Promise<AlertRule> {
  const data = parseInput(CreateAlertRuleInput, input);
  checkRule(data);
  try {
    return await inTransaction(ctx, async (tx, emit) => {
      await checkReferences(tx, data);
      const rule = await tx.alertRule.create({ data: { ...data, createdBy: actor.label } });
      await recordAudit(
        tx,
        actor,
        'alert_rule.create',
        { type: 'alert_rule', id: rule.id },
        null,
        auditView(rule),
      );
      emit('alertRuleUpdated', { ruleId: rule.id });
      return rule;
    });
  } catch (error) {
    return conflictOnName(error, data.name);
  }
}

async function findRule(tx: Tx, id: string): Promise<AlertRule> {
  const rule = await tx.alertRule.findUnique({ where: { id } });
  if (!rule) throw new FleetError(FleetErrorCode.alertRuleNotFound, `no alert rule with id ${id}`);
  return rule;
}

/**
 * Change some fields of a rule (the others keep their values). Fails like createAlertRule, or with
 * alert_rule_not_found. Open alerts of the rule are re-judged by the evaluator's next round.
 */
export async function updateAlertRule(ctx: FleetContext, actor: Actor, input: unknown): Promise<AlertRule> {
  const { id, ...changes } = parseInput(UpdateAlertRuleInput, input);
  try {
    return await inTransaction(ctx, async (tx, emit) => {
      const before = await findRule(tx, id);
      const merged = parseInput(RuleFields, { ...auditView(before), ...changes });
      checkRule(merged);
      await checkReferences(tx, merged);
      const rule = await tx.alertRule.update({ where: { id }, data: merged });
      await recordAudit(
        tx,
        actor,
        'alert_rule.update',
        { type: 'alert_rule', id },
        auditView(before),
        auditView(rule),
      );
      emit('alertRuleUpdated', { ruleId: id });
      return rule;
    });
  } catch (error) {
    return conflictOnName(error, changes.name ?? '');
  }
}

/** Delete a rule with its alerts and their history. Fails with validation_failed or alert_rule_not_found. */
export async function deleteAlertRule(ctx: FleetContext, actor: Actor, input: unknown): Promise<AlertRule> {
  const { id } = parseInput(DeleteAlertRuleInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const rule = await findRule(tx, id);
    await tx.alertRule.delete({ where: { id } });
    await recordAudit(tx, actor, 'alert_rule.delete', { type: 'alert_rule', id }, auditView(rule), null);
    emit('alertRuleUpdated', { ruleId: id, deleted: true });
    return rule;
  });
}

/**
 * Silence the notifications of one rule (or all with ruleId null), optionally for one agent, for
 * `durationSeconds` from now. Alerts keep their states; channels hear nothing while it lasts and hear
 * of a still-firing alert once it expires. Fails with validation_failed or alert_rule_not_found.
 */
export async function createAlertSilence(
  ctx: FleetContext,
  actor: Actor,
  input: unknown,
): Promise<AlertSilence> {
  const data = parseInput(CreateAlertSilenceInput, input);
  return inTransaction(ctx, async (tx) => {
    if (data.ruleId) await findRule(tx, data.ruleId);
    const expiresAt = new Date(ctx.clock().getTime() + data.durationSeconds * 1000);
    const silence = await tx.alertSilence.create({
      data: {
        ruleId: data.ruleId,
        agentId: data.agentId,
        comment: data.comment,
        expiresAt,
        createdBy: actor.label,
      },
    });
    await recordAudit(tx, actor, 'alert_silence.create', { type: 'alert_silence', id: silence.id }, null, {
      ruleId: silence.ruleId,
      agentId: silence.agentId,
      comment: silence.comment,
      expiresAt: silence.expiresAt.toISOString(),
    });
    return silence;
  });
}

/** End a silence now (its row is removed). Fails with validation_failed or alert_silence_not_found. */
export async function deleteAlertSilence(
  ctx: FleetContext,
  actor: Actor,
  input: unknown,
): Promise<AlertSilence> {
  const { id } = parseInput(DeleteAlertSilenceInput, input);
  return inTransaction(ctx, async (tx) => {
    const silence = await tx.alertSilence.findUnique({ where: { id } });
    if (!silence) throw new FleetError(FleetErrorCode.alertSilenceNotFound, `no silence with id ${id}`);
    await tx.alertSilence.delete({ where: { id } });
    await recordAudit(
      tx,
      actor,
      'alert_silence.delete',
      { type: 'alert_silence', id },
      { comment: silence.comment },
      null,
    );
    return silence;
  });
}

/** The silences in force as of `now`. */
export function activeSilences(ctx: FleetContext, now: Date): Promise<AlertSilence[]> {
  return ctx.db.alertSilence.findMany({ where: { expiresAt: { gt: now } } });
}

/** Whether any of `silences` mutes an alert of `ruleId` about `agentId`. Pure. */
export function isSilenced(silences: AlertSilence[], ruleId: string, agentId: string | null): boolean {
  return silences.some(
    (s) => (s.ruleId === null || s.ruleId === ruleId) && (s.agentId === null || s.agentId === agentId),
  );
}
