/**
 * Alerts (api/fleet/alerts): rules, alerts with their history, silences, notification channels and
 * their delivery logs, and alertUpdated. Roles: viewers read everything here; editors manage rules
 * and silences; admins manage channels, because a channel decides where the server sends requests
 * and holds a credential (its URL, its signing secret), like users and API tokens. A channel's URL
 * and secret are never returned: createNotificationChannel returns the signing secret once.
 */
import type { AlertDelivery } from '../../generated/prisma/client.ts';
import {
  AlertState as AlertStateValues,
  DeliveryState as DeliveryStateValues,
} from '../../generated/prisma/enums.ts';
import { builder } from '../builder.ts';
import { selected } from '../selection.ts';
import { actorOf, fleetInput } from '../context.ts';
import { ConflictError, NotFoundError, SecretKeyMissingError, ValidationError, runFleet } from '../errors.ts';
import { liveBatches, source } from '../live.ts';
import { ALERT_KINDS, SIGNALS } from '../../fleet/alerts/signals.ts';
import { createAlertSilence, deleteAlertSilence } from '../../fleet/alerts/rules.ts';
import { CHANNEL_TYPES, createChannel, deleteChannel } from '../../fleet/alerts/channels.ts';
import { AlertKind } from './alert-rule.ts';

const AlertState = builder.enumType('AlertState', {
  description: 'pending: breaching, `for` not yet passed; firing: announced; resolved: over (history).',
  values: Object.values(AlertStateValues),
});
const DeliveryState = builder.enumType('DeliveryState', {
  description: 'pending: waiting for an attempt or a retry; delivered: a 2xx answer; failed: given up.',
  values: Object.values(DeliveryStateValues),
});
const ChannelType = builder.enumType('NotificationChannelType', {
  description:
    'webhook: signed JSON (X-Flotilla-Signature, see the README); slack: a Slack incoming webhook.',
  values: CHANNEL_TYPES,
});

const AlertKindInfo = builder.objectRef<{ kind: (typeof ALERT_KINDS)[number] }>('AlertKindInfo').implement({
  description: 'One kind of alert rule and what its threshold means (null fields: it takes none).',
  fields: (t) => ({
    kind: t.field({ type: AlertKind, resolve: (k) => k.kind }),
    description: t.string({ resolve: (k) => SIGNALS[k.kind].description }),
    thresholdUnit: t.string({ nullable: true, resolve: (k) => SIGNALS[k.kind].threshold?.unit ?? null }),
    thresholdMin: t.float({ nullable: true, resolve: (k) => SIGNALS[k.kind].threshold?.min ?? null }),
    thresholdMax: t.float({ nullable: true, resolve: (k) => SIGNALS[k.kind].threshold?.max ?? null }),
  }),
});

builder.prismaObject('AlertInstance', {
  name: 'Alert',
  description: 'One subject (an agent) breaching one rule, from pending to resolved.',
  authScopes: { viewer: true },
  select: { id: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    rule: t.relation('rule'),
    subject: t.exposeString('subject'),
    agent: t.prismaField({
      type: 'Agent',
      nullable: true,
      description: 'The agent concerned, unless it was deleted since.',
      select: { agentId: true },
      resolve: (query, a, _args, ctx) =>
        a.agentId ? ctx.fleet.db.agent.findUnique({ ...query, where: { id: a.agentId } }) : null,
    }),
    state: t.field({ type: AlertState, select: { state: true }, resolve: (a) => a.state }),
    value: t.exposeFloat('value', { nullable: true }),
    summary: t.exposeString('summary'),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    firedAt: t.expose('firedAt', { type: 'DateTime', nullable: true }),
    resolvedAt: t.expose('resolvedAt', { type: 'DateTime', nullable: true }),
    notifiedAt: t.expose('notifiedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When channels were told it fires; null while pending or silenced.',
    }),
    deliveries: t.relation('deliveries', { query: { orderBy: { createdAt: 'asc' } } }),
  }),
});

const DeliveryAttempt = builder
  .objectRef<{ at: string; status: number | null; error: string | null }>('DeliveryAttempt')
  .implement({
    description: 'One attempt of a delivery: its time, the status code (null: no answer) and the error.',
    fields: (t) => ({
      at: t.field({ type: 'DateTime', resolve: (a) => new Date(a.at) }),
      status: t.exposeInt('status', { nullable: true }),
      error: t.exposeString('error', { nullable: true }),
    }),
  });

builder.prismaObject('AlertDelivery', {
  description: 'One notification of an alert to one channel, with its delivery log.',
  authScopes: { viewer: true },
  select: { id: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    channel: t.relation('channel'),
    event: t.exposeString('event', { description: '`firing` or `resolved`.' }),
    state: t.field({ type: DeliveryState, select: { state: true }, resolve: (d) => d.state }),
    attempts: t.exposeInt('attempts'),
    lastStatus: t.exposeInt('lastStatus', { nullable: true }),
    lastError: t.exposeString('lastError', { nullable: true }),
    log: t.field({
      type: [DeliveryAttempt],
      select: { log: true },
      resolve: (d: Pick<AlertDelivery, 'log'>) =>
        d.log as unknown as { at: string; status: number | null; error: string | null }[],
    }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.prismaObject('NotificationChannel', {
  description:
    'Where alerts are sent. The URL and signing secret are never returned; `urlHint` is the scheme and host.',
  authScopes: { viewer: true },
  select: { id: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    type: t.field({
      type: ChannelType,
      select: { type: true },
      resolve: (c) => c.type as (typeof CHANNEL_TYPES)[number],
    }),
    urlHint: t.exposeString('urlHint'),
    createdBy: t.exposeString('createdBy'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    deliveries: t.relation('deliveries', {
      description: 'The newest 50 deliveries: the channel’s delivery log.',
      query: { orderBy: { createdAt: 'desc' }, take: 50 },
    }),
  }),
});

builder.prismaObject('AlertSilence', {
  description: 'Mutes notifications of one rule (or all) for one agent (or all) until `expiresAt`.',
  authScopes: { viewer: true },
  select: { id: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    rule: t.relation('rule', { nullable: true }),
    agentId: t.exposeID('agentId', { nullable: true }),
    comment: t.exposeString('comment'),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    createdBy: t.exposeString('createdBy'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const AlertCounts = builder.objectRef<{ pending: number; firing: number }>('AlertCounts').implement({
  description: 'Open alerts by state (the navigation badge shows `firing`).',
  fields: (t) => ({ pending: t.exposeInt('pending'), firing: t.exposeInt('firing') }),
});

/** Most alerts one `alerts` query returns. */
const MAX_ALERTS = 500;

builder.queryFields((t) => ({
  alertKinds: t.field({
    type: [AlertKindInfo],
    description: 'Every kind of alert rule, with its threshold’s unit and bounds.',
    authScopes: { viewer: true },
    resolve: () => ALERT_KINDS.map((kind) => ({ kind })),
  }),
  alerts: t.prismaField({
    type: ['AlertInstance'],
    description: `Alerts, newest first (at most ${MAX_ALERTS}); by default the open ones (pending, firing).`,
    authScopes: { viewer: true },
    args: {
      states: t.arg({ type: [AlertState], required: false }),
      ruleId: t.arg.id({ required: false }),
      first: t.arg.int({ required: false, defaultValue: 100 }),
    },
    resolve: (query, _root, args, ctx) =>
      ctx.fleet.db.alertInstance.findMany({
        ...query,
        where: {
          state: { in: args.states?.length ? args.states : ['pending', 'firing'] },
          ...(args.ruleId ? { ruleId: String(args.ruleId) } : {}),
        },
        orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
        take: Math.min(Math.max(args.first ?? 100, 1), MAX_ALERTS),
      }),
  }),
  alertCounts: t.field({
    type: AlertCounts,
    authScopes: { viewer: true },
    resolve: async (_root, _args, ctx) => {
      const rows = await ctx.fleet.db.alertInstance.groupBy({
        by: ['state'],
        where: { state: { in: ['pending', 'firing'] } },
        _count: { _all: true },
      });
      const count = (state: string) => rows.find((r) => r.state === state)?._count._all ?? 0;
      return { pending: count('pending'), firing: count('firing') };
    },
  }),
  alertSilences: t.prismaField({
    type: ['AlertSilence'],
    description: 'Silences in force, ending soonest first.',
    authScopes: { viewer: true },
    resolve: (query, _root, _args, ctx) =>
      ctx.fleet.db.alertSilence.findMany({
        ...query,
        where: { expiresAt: { gt: ctx.fleet.clock() } },
        orderBy: { expiresAt: 'asc' },
      }),
  }),
  notificationChannels: t.prismaField({
    type: ['NotificationChannel'],
    authScopes: { viewer: true },
    resolve: (query, _root, _args, ctx) =>
      ctx.fleet.db.notificationChannel.findMany({ ...query, orderBy: { name: 'asc' } }),
  }),
}));

const CreateAlertSilenceInput = builder.inputType('CreateAlertSilenceInput', {
  fields: (t) => ({
    ruleId: t.id({ description: 'Left out: every rule.' }),
    agentId: t.id({ description: 'Left out: every agent.' }),
    comment: t.string({ required: true }),
    durationSeconds: t.int({ required: true, description: 'From now; 60 s to 90 days.' }),
  }),
});
const IdInput = (name: string) =>
  builder.inputType(name, { fields: (t) => ({ id: t.id({ required: true }) }) });
const DeleteAlertSilenceInput = IdInput('DeleteAlertSilenceInput');
const DeleteNotificationChannelInput = IdInput('DeleteNotificationChannelInput');
const CreateNotificationChannelInput = builder.inputType('CreateNotificationChannelInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    type: t.field({ type: ChannelType, required: true }),
    url: t.string({ required: true, description: 'http(s) URL; write-only.' }),
  }),
});

const CreateNotificationChannelPayload = builder
  .objectRef<{ channelId: string; signingSecret: string }>('CreateNotificationChannelPayload')
  .implement({
    fields: (t) => ({
      channel: t.prismaField({
        type: 'NotificationChannel',
        resolve: (query, p, _args, ctx) =>
          ctx.fleet.db.notificationChannel.findUniqueOrThrow({ ...query, where: { id: p.channelId } }),
      }),
      signingSecret: t.exposeString('signingSecret', {
        description: 'The webhook signing secret, shown this once (empty for Slack channels).',
      }),
    }),
  });

builder.mutationFields((t) => ({
  createAlertSilence: t.prismaField({
    type: 'AlertSilence',
    authScopes: { editor: true },
    args: { input: t.arg({ type: CreateAlertSilenceInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError], dataField: { name: 'silence' } },
    resolve: async (query, _root, { input }, ctx) => {
      const created = await runFleet(() => createAlertSilence(ctx.fleet, actorOf(ctx), fleetInput(input)));
      return ctx.fleet.db.alertSilence.findUniqueOrThrow({ ...selected(query), where: { id: created.id } });
    },
  }),
  deleteAlertSilence: t.id({
    description: 'End a silence now.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: DeleteAlertSilenceInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError], dataField: { name: 'deletedSilenceId' } },
    resolve: async (_root, { input }, ctx) =>
      (await runFleet(() => deleteAlertSilence(ctx.fleet, actorOf(ctx), input))).id,
  }),
  createNotificationChannel: t.field({
    type: CreateNotificationChannelPayload,
    description: 'Add a channel (admins). The signing secret is returned here only.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateNotificationChannelInput, required: true }) },
    errors: { types: [ValidationError, ConflictError, SecretKeyMissingError], directResult: true },
    resolve: async (_root, { input }, ctx) => {
      const { channel, signingSecret } = await runFleet(() => createChannel(ctx.fleet, actorOf(ctx), input));
      return { channelId: channel.id, signingSecret };
    },
  }),
  deleteNotificationChannel: t.id({
    description: 'Delete a channel (admins): rules stop using it, its delivery log goes.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: DeleteNotificationChannelInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError], dataField: { name: 'deletedChannelId' } },
    resolve: async (_root, { input }, ctx) =>
      (await runFleet(() => deleteChannel(ctx.fleet, actorOf(ctx), input))).id,
  }),
}));

builder.subscriptionField('alertUpdated', (t) =>
  t.field({
    type: AlertUpdate,
    description: 'Alerts that changed state or delivery log; `membershipChanged`: refetch lists and counts.',
    authScopes: { viewer: true },
    subscribe: (_root, _args, ctx) =>
      liveBatches(
        ctx.fleet.events,
        [source('alertUpdated', (e) => ({ id: e.instanceId, membership: true }))],
        ctx.services.live,
      ),
    resolve: (batch) => batch,
  }),
);

const AlertUpdate = builder
  .objectRef<{ ids: string[]; membershipChanged: boolean }>('AlertUpdate')
  .implement({
    description:
      'Alerts that changed since the previous message, each at its latest state (deleted ones left out).',
    fields: (t) => ({
      alerts: t.prismaField({
        type: ['AlertInstance'],
        resolve: (query, batch, _args, ctx) =>
          ctx.fleet.db.alertInstance.findMany({ ...query, where: { id: { in: batch.ids } } }),
      }),
      membershipChanged: t.exposeBoolean('membershipChanged'),
    }),
  });
