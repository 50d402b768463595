/**
 * Agents: the Agent type (status, config status, desired vs applied version, actions), the agents
 * connection with filters and sorting, and agent(id). Move / revoke / labels are in agent-bulk.ts,
 * agentUpdated in agent-live.ts.
 */
import type { Prisma } from '../../generated/prisma/client.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { assertUuids, isUuid } from '../errors.ts';
import { agentStatus, configStatus, desiredVersion } from '../../fleet/agent-status.ts';
import { agentWhere, type AgentFilter as FleetAgentFilter } from '../../fleet/queries.ts';
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

export const LabelInput = builder.inputType('LabelInput', {
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

/** Agents in hostname order (natural sort), for lists of agents other files return. */
export const HOSTNAME_ORDER = agentOrder(null);
