/**
 * Agents: the Agent type (status, config status, desired vs applied version, actions), the agents
 * connection with filters and sorting, agent(id), move / revoke / labels, and agentUpdated.
 */
import { GraphQLError } from 'graphql';
import type { Prisma } from '../../generated/prisma/client.ts';
import { builder } from '../builder.ts';
import { selected } from '../selection.ts';
import { actorOf, type GraphQLContext } from '../context.ts';
import { INPUT_ERRORS, assertUuids, isUuid, runFleet } from '../errors.ts';
import { liveBatches, sharedRead, source, type LiveBatch, type LiveHit } from '../live.ts';
import type { FleetEvents } from '../../fleet/events.ts';
import { agentStatus, configStatus, desiredVersion } from '../../fleet/agent-status.ts';
import { agentWhere, type AgentFilter as FleetAgentFilter } from '../../fleet/queries.ts';
import { moveAgents, revokeAgents, setAgentLabels, type BulkOutcome } from '../../fleet/agents.ts';
import { AgentStatus, ConfigStatus, OrderDirection, Platform } from './enums.ts';
import { assertAgentQuery } from './agent-query.ts';

const Label = builder.objectRef<{ key: string; value: string }>('Label').implement({
  fields: (t) => ({ key: t.exposeString('key'), value: t.exposeString('value') }),
});

const ConfigError = builder
  .objectRef<{ version: number; message: string; at: Date | null }>('ConfigError')
  .implement({
    description: 'The error the agent reported for a config version (it keeps running its last good config).',
    fields: (t) => ({
      version: t.exposeInt('version'),
      message: t.exposeString('message'),
      at: t.expose('at', {
        type: 'DateTime',
        nullable: true,
        description: 'When the agent first reported this error.',
      }),
    }),
  });

const ConfigPin = builder
  .objectRef<{ version: number; rolloutId: string | null; createdAt: Date }>('ConfigPin')
  .implement({
    description:
      "A rollout's pin: the agent's desired version while a staged rollout reaches it or reverts it, instead of its group's.",
    fields: (t) => ({
      version: t.exposeInt('version'),
      rolloutId: t.exposeID('rolloutId', { nullable: true, description: 'The rollout that set it.' }),
      pinnedAt: t.expose('createdAt', { type: 'DateTime' }),
    }),
  });

/** What desiredVersion (agent-status.ts) reads: the agent's pin and its group's baseline. */
const desired = {
  group: { select: { configVersion: true } },
  configPin: { select: { version: true, rolloutId: true, createdAt: true } },
} as const;

builder.prismaObject('Agent', {
  description: 'One enrolled host running flotilla-agent and Vector.',
  authScopes: { viewer: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    hostname: t.exposeString('hostname'),
    platform: t.expose('platform', { type: Platform }),
    os: t.exposeString('os'),
    kernel: t.exposeString('kernel'),
    agentVersion: t.exposeString('agentVersion'),
    vectorVersion: t.exposeString('vectorVersion'),
    labels: t.field({
      type: [Label],
      resolve: (a) =>
        Object.entries((a.labels ?? {}) as Record<string, unknown>)
          .map(([key, value]) => ({ key, value: String(value) }))
          .sort((x, y) => x.key.localeCompare(y.key)),
    }),
    status: t.field({
      type: AgentStatus,
      resolve: (a, _args, ctx) =>
        agentStatus(a.lastHeartbeatAt, ctx.fleet.clock(), ctx.fleet.tuning.current.offlineAfterMs),
    }),
    lastHeartbeatAt: t.expose('lastHeartbeatAt', { type: 'DateTime', nullable: true }),
    wentOfflineAt: t.expose('wentOfflineAt', { type: 'DateTime', nullable: true }),
    vectorRunning: t.exposeBoolean('vectorRunning'),
    vectorStartedAt: t.expose('vectorStartedAt', { type: 'DateTime', nullable: true }),
    appliedConfigVersion: t.exposeInt('appliedConfigVersion', {
      description: 'The config version the agent runs (applied, as its heartbeat reports).',
    }),
    appliedAt: t.expose('appliedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the agent first reported appliedConfigVersion.',
    }),
    desiredConfigVersion: t.int({
      description:
        "The version the agent should run: its rollout pin if it has one, else its group's version.",
      select: desired,
      resolve: (a) => desiredVersion(a).version,
    }),
    configPin: t.field({
      type: ConfigPin,
      nullable: true,
      description: 'Set while a rollout pins the agent to a version other than its group’s.',
      select: desired,
      resolve: (a) => a.configPin,
    }),
    deliveredConfigVersion: t.exposeInt('deliveredConfigVersion', {
      nullable: true,
      description: 'The version the server last sent the agent (its last 200 config answer).',
    }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
    configStatus: t.field({
      type: ConfigStatus,
      select: desired,
      resolve: (a, _args, ctx) =>
        configStatus(a, desiredVersion(a), ctx.fleet.clock(), ctx.fleet.tuning.current.offlineAfterMs),
    }),
    configDriftedAt: t.expose('configDriftedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Since when its config file differs from the version it applied; null: not drifted.',
    }),
    runningConfigSha256: t.exposeString('runningConfigSha256', {
      nullable: true,
      description: 'SHA-256 of the config file it runs, as it last reported (minus its own data_dir line).',
    }),
    tokenIssuedAt: t.expose('tokenIssuedAt', {
      type: 'DateTime',
      description: 'When its current token was issued.',
    }),
    tokenRotationRequestedAt: t.expose('tokenRotationRequestedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Set while a requested token rotation waits for the agent to use its new token.',
    }),
    configError: t.field({
      type: ConfigError,
      nullable: true,
      resolve: (a) =>
        a.configErrorVersion === null
          ? null
          : { version: a.configErrorVersion, message: a.configErrorMessage ?? '', at: a.configErrorAt },
    }),
    revoked: t.boolean({ resolve: (a) => a.revokedAt !== null }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    enrolledAt: t.expose('enrolledAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    group: t.relation('group'),
    actions: t.relatedConnection('actions', {
      cursor: 'id',
      description: 'Actions queued for this agent, newest first.',
      query: () => ({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
      totalCount: true,
    }),
  }),
});

const LabelInput = builder.inputType('LabelInput', {
  fields: (t) => ({ key: t.string({ required: true }), value: t.string({ required: true }) }),
});

export const AgentFilter = builder.inputType('AgentFilter', {
  description:
    'Every given condition must hold; a list matches any of its values. Revoked agents are left out by default.',
  fields: (t) => ({
    groupIds: t.idList(),
    statuses: t.field({ type: [AgentStatus] }),
    agentVersions: t.stringList(),
    vectorVersions: t.stringList(),
    platforms: t.field({ type: [Platform] }),
    labels: t.field({ type: [LabelInput], description: 'Every label must match exactly.' }),
    configStatuses: t.field({ type: [ConfigStatus] }),
    hostname: t.string({ description: 'Case-insensitive part of the hostname.' }),
    includeRevoked: t.boolean(),
    query: t.string({
      description:
        'An agent query, e.g. `status:offline group:web label.env=prod agentVersion<0.2.0 -platform:kubernetes "db-*"` (README → "Agent queries"). A syntax error fails the operation with extensions { code: INVALID_AGENT_QUERY, position, length }.',
    }),
  }),
});

/** Order columns; hostnames sort naturally (web-2 before web-10) by their stored sort key. */
const ORDER_COLUMNS = {
  hostname: 'hostnameSortKey',
  last_heartbeat_at: 'lastHeartbeatAt',
  enrolled_at: 'enrolledAt',
  agent_version: 'agentVersion',
  vector_version: 'vectorVersion',
} as const;

const AgentOrderField = builder.enumType('AgentOrderField', {
  values: Object.keys(ORDER_COLUMNS) as (keyof typeof ORDER_COLUMNS)[],
});

const AgentOrder = builder.inputType('AgentOrder', {
  fields: (t) => ({
    field: t.field({ type: AgentOrderField, required: true }),
    direction: t.field({ type: OrderDirection, defaultValue: 'asc' }),
  }),
});

/** The fleet's filter for validated GraphQL filter arguments (ids checked, query parsed). */
export function fleetFilter(
  filter: typeof AgentFilter.$inferInput | null | undefined,
  argument = 'filter',
): FleetAgentFilter {
  assertUuids(filter?.groupIds, `${argument}.groupIds`);
  if (filter?.query) assertAgentQuery(filter.query, `${argument}.query`);
  return filter ?? {};
}

const whereCache = new WeakMap<GraphQLContext, Map<string, Promise<Prisma.AgentWhereInput>>>();

/** The where clause of a filter, computed once per operation (the page and its totalCount share it). */
function whereFor(ctx: GraphQLContext, filter: typeof AgentFilter.$inferInput | null | undefined) {
  const cache = whereCache.get(ctx) ?? new Map<string, Promise<Prisma.AgentWhereInput>>();
  whereCache.set(ctx, cache);
  const key = JSON.stringify(filter ?? null);
  let where = cache.get(key);
  if (!where) {
    where = agentWhere(
      ctx.fleet.db,
      fleetFilter(filter),
      ctx.fleet.clock(),
      ctx.fleet.tuning.current.offlineAfterMs,
    );
    cache.set(key, where);
  }
  return where;
}

function agentOrder(
  order: typeof AgentOrder.$inferInput | null | undefined,
): Prisma.AgentOrderByWithRelationInput[] {
  const direction = order?.direction ?? 'asc';
  const column = ORDER_COLUMNS[order?.field ?? 'hostname'];
  return [{ [column]: direction }, { hostname: direction }, { id: direction }];
}

builder.queryFields((t) => ({
  agents: t.prismaConnection(
    {
      type: 'Agent',
      cursor: 'id',
      authScopes: { viewer: true },
      description: 'Agents matching `filter`, by hostname unless `orderBy` says otherwise.',
      args: { filter: t.arg({ type: AgentFilter }), orderBy: t.arg({ type: AgentOrder }) },
      resolve: async (query, _root, args, ctx) =>
        ctx.fleet.db.agent.findMany({
          ...query,
          where: await whereFor(ctx, args.filter),
          orderBy: agentOrder(args.orderBy),
        }),
      totalCount: async (_conn, args, ctx) =>
        ctx.fleet.db.agent.count({ where: await whereFor(ctx, args.filter) }),
    },
    { name: 'AgentConnection' },
    { name: 'AgentEdge' },
  ),
  agent: t.prismaField({
    type: 'Agent',
    nullable: true,
    authScopes: { viewer: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      isUuid(args.id) ? ctx.fleet.db.agent.findUnique({ ...query, where: { id: args.id } }) : null,
  }),
}));

const HOSTNAME_ORDER = agentOrder(null);

export const BULK_TARGET =
  'Target agents by `agentIds` or by `filter` (exactly one; at most fleetRules.maxBulkAgents).';
const MoveAgentsInput = builder.inputType('MoveAgentsInput', {
  description: BULK_TARGET,
  fields: (t) => ({
    agentIds: t.idList(),
    filter: t.field({ type: AgentFilter }),
    groupId: t.id({ required: true }),
  }),
});
const RevokeAgentsInput = builder.inputType('RevokeAgentsInput', {
  description: BULK_TARGET,
  fields: (t) => ({ agentIds: t.idList(), filter: t.field({ type: AgentFilter }) }),
});

/** The payload type of a bulk agent mutation: how many changed, how many were targeted, which. */
export function bulkPayload(name: string, verb: string) {
  return builder.objectRef<BulkOutcome>(name).implement({
    fields: (t) => ({
      count: t.int({ description: `Agents ${verb} (others were already).`, resolve: (o) => o.changed }),
      targeted: t.int({ description: 'Agents the request targeted.', resolve: (o) => o.agentIds.length }),
      agents: t.prismaField({
        type: ['Agent'],
        description: 'The agents targeted, by hostname (use `count` for large requests by filter).',
        resolve: (query, o, _args, ctx) =>
          ctx.fleet.db.agent.findMany({
            ...query,
            where: { id: { in: o.agentIds } },
            orderBy: HOSTNAME_ORDER,
          }),
      }),
    }),
  });
}
const MoveAgentsPayload = bulkPayload('MoveAgentsPayload', 'moved');
const RevokeAgentsPayload = bulkPayload('RevokeAgentsPayload', 'revoked');

/** The fleet input of a bulk mutation: the filter's ids checked, everything else passed on. */
export function bulkInput<I extends { filter?: typeof AgentFilter.$inferInput | null }>(input: I) {
  return { ...input, filter: input.filter ? fleetFilter(input.filter, 'input.filter') : input.filter };
}

const SetAgentLabelsInput = builder.inputType('SetAgentLabelsInput', {
  fields: (t) => ({
    agentId: t.id({ required: true }),
    labels: t.field({ type: [LabelInput], required: true, description: 'The complete new set of labels.' }),
  }),
});

builder.mutationFields((t) => ({
  moveAgents: t.field({
    type: MoveAgentsPayload,
    description: "Move agents to another group in one transaction; their next poll gets that group's config.",
    authScopes: { editor: true },
    args: { input: t.arg({ type: MoveAgentsInput, required: true }) },
    errors: { types: INPUT_ERRORS, directResult: true },
    resolve: (_root, { input }, ctx) => runFleet(() => moveAgents(ctx.fleet, actorOf(ctx), bulkInput(input))),
  }),
  revokeAgents: t.field({
    type: RevokeAgentsPayload,
    description:
      'Revoke agents in one transaction: their tokens are refused from now on and their pending actions are cancelled.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: RevokeAgentsInput, required: true }) },
    errors: { types: INPUT_ERRORS, directResult: true },
    resolve: (_root, { input }, ctx) =>
      runFleet(() => revokeAgents(ctx.fleet, actorOf(ctx), bulkInput(input))),
  }),
  setAgentLabels: t.prismaField({
    type: 'Agent',
    description: "Replace an agent's labels.",
    authScopes: { editor: true },
    args: { input: t.arg({ type: SetAgentLabelsInput, required: true }) },
    errors: { types: INPUT_ERRORS, dataField: { name: 'agent' } },
    resolve: async (query, _root, { input }, ctx) => {
      const labels = Object.fromEntries(input.labels.map((l) => [l.key, l.value]));
      const agent = await runFleet(() =>
        setAgentLabels(ctx.fleet, actorOf(ctx), { agentId: input.agentId, labels }),
      );
      return ctx.fleet.db.agent.findUniqueOrThrow({ ...selected(query), where: { id: agent.id } });
    },
  }),
}));

const AgentUpdate = builder.objectRef<LiveBatch>('AgentUpdate').implement({
  description: 'Agents that changed since the previous message, each at its latest state.',
  fields: (t) => ({
    agents: t.prismaField({
      type: ['Agent'],
      // One read per batch cut and selection, shared by every dashboard that got the same batch.
      resolve: (query, batch, _args, ctx) =>
        sharedRead(`agents ${batch.at} ${JSON.stringify(query)} ${batch.ids.join(',')}`, () =>
          ctx.fleet.db.agent.findMany({
            ...query,
            where: { id: { in: batch.ids } },
            orderBy: HOSTNAME_ORDER,
          }),
        ),
    }),
    membershipChanged: t.exposeBoolean('membershipChanged', {
      description: 'Agents enrolled, moved or were revoked: refetch lists that depend on membership.',
    }),
  }),
});

const MEMBERSHIP_CHANGES = new Set(['enrolled', 'moved', 'revoked']);
/** The hits of one agentsSeen message for fleet-wide watchers, made once per message, not per watcher. */
const fleetHitsOf = new WeakMap<FleetEvents['agentsSeen'], LiveHit[]>();

function fleetHits(e: FleetEvents['agentsSeen']): LiveHit[] {
  const known = fleetHitsOf.get(e);
  if (known) return known;
  const hits = e.agentIds.map((id): LiveHit => ({ id, membership: false }));
  fleetHitsOf.set(e, hits);
  return hits;
}

/**
 * The agents a baseline move (configPublished) reaches: every agent of the group, read once per
 * event object and replica (every subscription gets the same object), never once per dashboard.
 */
const publishedAgentsOf = new WeakMap<FleetEvents['configPublished'], Promise<LiveHit[]>>();

function publishedAgents(ctx: GraphQLContext, e: FleetEvents['configPublished']): Promise<LiveHit[]> {
  let known = publishedAgentsOf.get(e);
  if (!known) {
    known = ctx.fleet.db.agent
      .findMany({ where: { groupId: e.groupId, revokedAt: null }, select: { id: true } })
      .then((rows) => rows.map((r): LiveHit => ({ id: r.id, membership: false })));
    publishedAgentsOf.set(e, known);
  }
  return known;
}

builder.subscriptionField('agentUpdated', (t) =>
  t.field({
    type: AgentUpdate,
    description:
      'Changes to one agent (agentId), the agents of a group (groupId, including those leaving it) or the fleet, including config status changes a publish or a rollout causes.',
    authScopes: { viewer: true },
    args: { agentId: t.arg.id(), groupId: t.arg.id() },
    subscribe: (_root, { agentId, groupId }, ctx) => {
      if (agentId && groupId)
        throw new GraphQLError('give agentId or groupId, not both', {
          extensions: { code: 'BAD_USER_INPUT' },
        });
      const pick = source('agentUpdated', (e) => {
        const watched = agentId
          ? e.agentId === agentId
          : groupId
            ? e.groupId === groupId || e.previousGroupId === groupId
            : true;
        return watched ? { id: e.agentId, membership: MEMBERSHIP_CHANGES.has(e.change) } : null;
      });
      const seen = source('agentsSeen', (e) => {
        if (!agentId && !groupId) return fleetHits(e);
        const hits = [];
        for (let i = 0; i < e.agentIds.length; i++)
          if (agentId ? e.agentIds[i] === agentId : e.groupIds[i] === groupId)
            hits.push({ id: e.agentIds[i], membership: false });
        return hits.length > 0 ? hits : null;
      });
      // A publish or a rollout's pins change the desired version, so the config status, of agents.
      const published = source('configPublished', (e) => {
        if (groupId && e.groupId !== groupId) return null;
        const hits = publishedAgents(ctx, e);
        return agentId ? hits.then((all) => all.filter((h) => h.id === agentId)) : hits;
      });
      const pins = (add: (hits: LiveHit[]) => void) =>
        ctx.services.directory.watch({
          desiredChanged: (group, ids) => {
            if (groupId && group !== groupId) return;
            const hits = ids.filter((id) => !agentId || id === agentId);
            if (hits.length > 0) add(hits.map((id) => ({ id, membership: false })));
          },
        });
      return liveBatches(ctx.fleet.events, [pick, seen, published], ctx.services.live, [pins]);
    },
    resolve: (batch) => batch,
  }),
);
