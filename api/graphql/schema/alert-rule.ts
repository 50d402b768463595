/**
 * Alert rules (api/fleet/alerts/rules.ts): the AlertRule type, the alertRules query, and create /
 * update / delete for editors. alert.ts holds alerts, silences, channels and alertUpdated.
 */
import { builder } from '../builder.ts';
import { selected } from '../selection.ts';
import { actorOf, fleetInput } from '../context.ts';
import { ConflictError, NotFoundError, ValidationError, runFleet } from '../errors.ts';
import { ALERT_KINDS, type AlertKind as AlertKindValue } from '../../fleet/alerts/signals.ts';
import { createAlertRule, deleteAlertRule, updateAlertRule } from '../../fleet/alerts/rules.ts';

export const AlertKind = builder.enumType('AlertKind', {
  description: 'What a rule watches; alertKinds describes each kind and its threshold.',
  values: ALERT_KINDS,
});

builder.prismaObject('AlertRule', {
  description:
    'What to watch, over which agents (all, a group, or a selector in the agent query language), for how long.',
  authScopes: { viewer: true },
  select: { id: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    kind: t.field({ type: AlertKind, select: { kind: true }, resolve: (r) => r.kind as AlertKindValue }),
    threshold: t.exposeFloat('threshold', { nullable: true }),
    forSeconds: t.exposeInt('forSeconds', { description: 'How long a breach must last before it fires.' }),
    group: t.relation('group', { nullable: true }),
    selector: t.exposeString('selector', { nullable: true }),
    enabled: t.exposeBoolean('enabled'),
    channels: t.prismaField({
      type: ['NotificationChannel'],
      select: { channelIds: true },
      resolve: (query, r, _args, ctx) =>
        ctx.fleet.db.notificationChannel.findMany({
          ...query,
          where: { id: { in: r.channelIds } },
          orderBy: { name: 'asc' },
        }),
    }),
    createdBy: t.exposeString('createdBy'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  alertRules: t.prismaField({
    type: ['AlertRule'],
    description: 'Every alert rule, by name.',
    authScopes: { viewer: true },
    resolve: (query, _root, _args, ctx) =>
      ctx.fleet.db.alertRule.findMany({ ...query, orderBy: { name: 'asc' } }),
  }),
}));

const ruleFields = (
  t: Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0],
  create: boolean,
) => ({
  name: t.string({ required: create }),
  kind: t.field({ type: AlertKind, required: create }),
  threshold: t.float({ description: 'In the kind’s unit (alertKinds); leave out for kinds without one.' }),
  forSeconds: t.int({ description: '0 (default) to one week.' }),
  groupId: t.id({ description: 'Only this group’s agents.' }),
  selector: t.string({ description: 'Only agents matching this agent query (not with groupId).' }),
  enabled: t.boolean(),
  channelIds: t.idList({ description: 'Channels told when an alert fires or resolves.' }),
});
const CreateAlertRuleInput = builder.inputType('CreateAlertRuleInput', {
  fields: (t) => ruleFields(t, true),
});
const UpdateAlertRuleInput = builder.inputType('UpdateAlertRuleInput', {
  description: 'Fields left out keep their values; null clears threshold, groupId or selector.',
  fields: (t) => ({ id: t.id({ required: true }), ...ruleFields(t, false) }),
});
const DeleteAlertRuleInput = builder.inputType('DeleteAlertRuleInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

const WRITE_ERRORS = [ValidationError, ConflictError, NotFoundError];
const CLEARABLE = ['threshold', 'groupId', 'selector'];

builder.mutationFields((t) => ({
  createAlertRule: t.prismaField({
    type: 'AlertRule',
    authScopes: { editor: true },
    args: { input: t.arg({ type: CreateAlertRuleInput, required: true }) },
    errors: { types: WRITE_ERRORS, dataField: { name: 'rule' } },
    resolve: async (query, _root, { input }, ctx) => {
      const rule = await runFleet(() => createAlertRule(ctx.fleet, actorOf(ctx), fleetInput(input)));
      return ctx.fleet.db.alertRule.findUniqueOrThrow({ ...selected(query), where: { id: rule.id } });
    },
  }),
  updateAlertRule: t.prismaField({
    type: 'AlertRule',
    authScopes: { editor: true },
    args: { input: t.arg({ type: UpdateAlertRuleInput, required: true }) },
    errors: { types: WRITE_ERRORS, dataField: { name: 'rule' } },
    resolve: async (query, _root, { input }, ctx) => {
      const rule = await runFleet(() =>
        updateAlertRule(ctx.fleet, actorOf(ctx), fleetInput(input, CLEARABLE)),
      );
      return ctx.fleet.db.alertRule.findUniqueOrThrow({ ...selected(query), where: { id: rule.id } });
    },
  }),
  deleteAlertRule: t.id({
    description: 'Delete a rule with its alerts and their history.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: DeleteAlertRuleInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError], dataField: { name: 'deletedRuleId' } },
    resolve: async (_root, { input }, ctx) =>
      (await runFleet(() => deleteAlertRule(ctx.fleet, actorOf(ctx), input))).id,
  }),
}));
