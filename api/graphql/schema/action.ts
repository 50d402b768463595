/**
 * Actions: the Action type, the actions connection (by agent, bulk id, status, type), create for
 * one agent or in bulk (by ids or by an agent filter), validate a draft on sample agents, cancel,
 * and actionUpdated.
 */
import { GraphQLError } from 'graphql';
import type { Prisma } from '../../generated/prisma/client.ts';
import { ActionType as ActionTypeValues } from '../../protocol/actions.ts';
import { builder } from '../builder.ts';
import { selected } from '../selection.ts';
import { actorOf } from '../context.ts';
import {
  INPUT_ERRORS,
  InvalidTransitionError,
  NotFoundError,
  ValidationError,
  assertUuids,
  isUuid,
  runFleet,
} from '../errors.ts';
import { liveBatches, source, type LiveBatch } from '../live.ts';
import { cancelAction, cancelBulkActions, createActions } from '../../fleet/actions.ts';
import { auditPayload } from '../../fleet/action-payloads.ts';
import { CANCELLABLE_ACTION_STATUSES } from '../../fleet/action-states.ts';
import { MAX_VALIDATION_SAMPLE, validateDraft } from '../../fleet/validate-sample.ts';
import { ActionOfflinePolicy, ActionStatus } from './enums.ts';
import { AgentFilter, fleetFilter } from './agent.ts';

const ActionType = builder.enumType('ActionType', {
  description:
    'upgrade_agent: payload `{ targetVersion }`, a release registered on the server; restart_vector: payload `{}` (ignored); validate_config: payload `{ version }`, a published version of the agent’s group (validateDraft queues a draft), run through `vector validate` without switching; collect_diagnostics: payload `{}`, the agent uploads a bundle (agentDiagnostics).',
  values: ActionTypeValues.options,
});

builder.prismaObject('Action', {
  description:
    'A queued instruction for one agent. Status only moves forward: (waiting ⇄) pending → delivered → running → done | failed; see ActionStatus.',
  authScopes: { viewer: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    type: t.exposeString('type'),
    payload: t.field({
      type: 'JSON',
      description: 'As queued; a draft candidate of validate_config shows as `yamlBytes`, never the YAML.',
      resolve: (action) => auditPayload(action.payload),
    }),
    offlinePolicy: t.expose('offlinePolicy', {
      type: ActionOfflinePolicy,
      description: 'What happened or happens if the agent was offline when the action was created.',
    }),
    status: t.expose('status', { type: ActionStatus }),
    cancellable: t.boolean({
      description: 'True while no agent has received it (pending, waiting): cancelAction is allowed.',
      resolve: (action) => CANCELLABLE_ACTION_STATUSES.includes(action.status),
    }),
    deliveredAt: t.expose('deliveredAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When a heartbeat answer first carried it to the agent.',
    }),
    result: t.expose('result', { type: 'JSON', nullable: true, description: 'What the agent reported.' }),
    bulkId: t.exposeID('bulkId', { nullable: true, description: 'Ties the actions of one bulk request.' }),
    deadline: t.expose('deadline', { type: 'DateTime', description: 'Expires unless finished by then.' }),
    createdBy: t.exposeString('createdBy'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    agent: t.relation('agent'),
  }),
});

const ActionFilter = builder.inputType('ActionFilter', {
  fields: (t) => ({
    agentIds: t.idList(),
    bulkId: t.id(),
    statuses: t.field({ type: [ActionStatus] }),
    types: t.stringList(),
  }),
});

function actionWhere(filter: typeof ActionFilter.$inferInput | null | undefined): Prisma.ActionWhereInput {
  assertUuids(filter?.agentIds, 'filter.agentIds');
  assertUuids(filter?.bulkId ? [filter.bulkId] : [], 'filter.bulkId');
  return {
    ...(filter?.agentIds?.length ? { agentId: { in: filter.agentIds } } : {}),
    ...(filter?.bulkId ? { bulkId: filter.bulkId } : {}),
    ...(filter?.statuses?.length ? { status: { in: filter.statuses } } : {}),
    ...(filter?.types?.length ? { type: { in: filter.types } } : {}),
  };
}

builder.queryFields((t) => ({
  actions: t.prismaConnection(
    {
      type: 'Action',
      cursor: 'id',
      authScopes: { viewer: true },
      description: 'Actions matching `filter`, newest first.',
      args: { filter: t.arg({ type: ActionFilter }) },
      resolve: (query, _root, args, ctx) =>
        ctx.fleet.db.action.findMany({
          ...query,
          where: actionWhere(args.filter),
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        }),
      totalCount: (_conn, args, ctx) => ctx.fleet.db.action.count({ where: actionWhere(args.filter) }),
    },
    { name: 'ActionConnection' },
    { name: 'ActionEdge' },
  ),
  action: t.prismaField({
    type: 'Action',
    nullable: true,
    authScopes: { viewer: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      isUuid(args.id) ? ctx.fleet.db.action.findUnique({ ...query, where: { id: args.id } }) : null,
  }),
}));

const CreateActionInput = builder.inputType('CreateActionInput', {
  fields: (t) => ({
    agentId: t.id({ required: true }),
    type: t.field({ type: ActionType, required: true }),
    payload: t.field({ type: 'JSON', required: true }),
    offlinePolicy: t.field({ type: ActionOfflinePolicy, description: 'Default: deliver.' }),
  }),
});

const CreateBulkActionInput = builder.inputType('CreateBulkActionInput', {
  description: 'Target agents by `agentIds` or by `filter` (exactly one); revoked agents are never targeted.',
  fields: (t) => ({
    agentIds: t.idList(),
    filter: t.field({ type: AgentFilter }),
    type: t.field({ type: ActionType, required: true }),
    payload: t.field({ type: 'JSON', required: true }),
    offlinePolicy: t.field({ type: ActionOfflinePolicy, description: 'Default: deliver.' }),
  }),
});

const ValidateDraftInput = builder.inputType('ValidateDraftInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    sampleSize: t.int({
      description: `How many online agents of the group validate the draft (1–${MAX_VALIDATION_SAMPLE}, default 3).`,
    }),
  }),
});

const ValidateDraftPayload = builder
  .objectRef<{ bulkId: string; actionIds: string[] }>('ValidateDraftPayload')
  .implement({
    description: 'Follow the results with actionUpdated(bulkId).',
    fields: (t) => ({
      bulkId: t.exposeID('bulkId'),
      actions: t.prismaField({
        type: ['Action'],
        resolve: (query, payload, _args, ctx) =>
          ctx.fleet.db.action.findMany({
            ...query,
            where: { id: { in: payload.actionIds } },
            orderBy: { id: 'asc' },
          }),
      }),
    }),
  });

const CancelActionInput = builder.inputType('CancelActionInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

const CreateBulkActionPayload = builder
  .objectRef<{ bulkId: string; count: number }>('CreateBulkActionPayload')
  .implement({
    description: 'Follow the actions with actions(filter: { bulkId }) and actionUpdated(bulkId).',
    fields: (t) => ({
      bulkId: t.exposeID('bulkId'),
      count: t.exposeInt('count', { description: 'Actions queued.' }),
    }),
  });

const CancelBulkActionInput = builder.inputType('CancelBulkActionInput', {
  fields: (t) => ({ bulkId: t.id({ required: true }) }),
});

const CancelBulkActionPayload = builder
  .objectRef<{ bulkId: string; cancelled: number }>('CancelBulkActionPayload')
  .implement({
    fields: (t) => ({
      bulkId: t.exposeID('bulkId'),
      cancelled: t.exposeInt('cancelled', {
        description: 'How many pending or waiting actions were cancelled.',
      }),
    }),
  });

builder.mutationFields((t) => ({
  createAction: t.prismaField({
    type: 'Action',
    description: 'Queue an action for one agent.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: CreateActionInput, required: true }) },
    errors: { types: INPUT_ERRORS, dataField: { name: 'action' } },
    resolve: async (query, _root, { input }, ctx) => {
      const { agentId, type, payload, offlinePolicy } = input;
      const { actions } = await runFleet(() =>
        createActions(ctx.fleet, actorOf(ctx), { agentIds: [agentId], type, payload, offlinePolicy }),
      );
      return ctx.fleet.db.action.findUniqueOrThrow({ ...selected(query), where: { id: actions[0].id } });
    },
  }),
  createBulkAction: t.field({
    type: CreateBulkActionPayload,
    description: 'Queue one action per agent, tied by a bulk id.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: CreateBulkActionInput, required: true }) },
    errors: { types: INPUT_ERRORS, directResult: true },
    resolve: async (_root, { input }, ctx) => {
      const filter = input.filter ? fleetFilter(input.filter, 'input.filter') : input.filter;
      const created = await runFleet(() =>
        createActions(ctx.fleet, actorOf(ctx), { ...input, filter, bulk: true }),
      );
      return { bulkId: created.bulkId as string, count: created.actions.length };
    },
  }),
  validateDraft: t.field({
    type: ValidateDraftPayload,
    description:
      "Run `vector validate` on the group's draft on a few online agents of the group (hostname order), without switching their config.",
    authScopes: { editor: true },
    args: { input: t.arg({ type: ValidateDraftInput, required: true }) },
    errors: { types: INPUT_ERRORS, directResult: true },
    resolve: async (_root, { input }, ctx) => {
      const created = await runFleet(() =>
        validateDraft(ctx.fleet, actorOf(ctx), {
          groupId: input.groupId,
          sampleSize: input.sampleSize ?? undefined,
        }),
      );
      return { bulkId: created.bulkId as string, actionIds: created.actions.map((a) => a.id) };
    },
  }),
  cancelAction: t.prismaField({
    type: 'Action',
    description:
      'Cancel a pending or waiting action. A delivered or running one (the agent has it) is refused with invalid_transition.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: CancelActionInput, required: true }) },
    errors: {
      types: [ValidationError, NotFoundError, InvalidTransitionError],
      dataField: { name: 'action' },
    },
    resolve: async (query, _root, { input }, ctx) => {
      const action = await runFleet(() => cancelAction(ctx.fleet, actorOf(ctx), input));
      return ctx.fleet.db.action.findUniqueOrThrow({ ...selected(query), where: { id: action.id } });
    },
  }),
  cancelBulkAction: t.field({
    type: CancelBulkActionPayload,
    description:
      'Cancel every still pending or waiting action of a bulk request; delivered and running ones continue.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: CancelBulkActionInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError], directResult: true },
    resolve: async (_root, { input }, ctx) => {
      const cancelled = await runFleet(() => cancelBulkActions(ctx.fleet, actorOf(ctx), input));
      return { bulkId: input.bulkId, cancelled };
    },
  }),
}));

/** The statuses an action can be created in: an event with one may announce a new action. */
const CREATED_STATUSES: ReadonlySet<string> = new Set(['pending', 'waiting', 'skipped']);

const ActionUpdate = builder.objectRef<LiveBatch>('ActionUpdate').implement({
  description: 'Actions that changed since the previous message, each at its latest state.',
  fields: (t) => ({
    actions: t.prismaField({
      type: ['Action'],
      resolve: (query, batch, _args, ctx) =>
        ctx.fleet.db.action.findMany({
          ...query,
          where: { id: { in: batch.ids } },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        }),
    }),
    membershipChanged: t.exposeBoolean('membershipChanged', {
      description: 'New actions were queued: refetch lists.',
    }),
  }),
});

builder.subscriptionField('actionUpdated', (t) =>
  t.field({
    type: ActionUpdate,
    description: "Changes to one agent's actions (agentId), one bulk request's (bulkId) or all actions.",
    authScopes: { viewer: true },
    args: { agentId: t.arg.id(), bulkId: t.arg.id() },
    subscribe: (_root, { agentId, bulkId }, ctx) => {
      if (agentId && bulkId)
        throw new GraphQLError('give agentId or bulkId, not both', {
          extensions: { code: 'BAD_USER_INPUT' },
        });
      const pick = source('actionUpdated', (e) => {
        const watched = agentId ? e.agentId === agentId : bulkId ? e.bulkId === bulkId : true;
        return watched ? { id: e.actionId, membership: CREATED_STATUSES.has(e.status) } : null;
      });
      return liveBatches(ctx.fleet.events, [pick], ctx.services.live);
    },
    resolve: (batch) => batch,
  }),
);
