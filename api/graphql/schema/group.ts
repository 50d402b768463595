/**
 * Groups: the Group type with its config preview (the stored YAML agents
 * get), the groups connection and group(slug), create / update / delete, and groupUpdated.
 */
import { builder } from '../builder.ts';
import { selected } from '../selection.ts';
import { actorOf, fleetInput } from '../context.ts';
import { GroupNotEmptyError, NotFoundError, PIPELINE_ERRORS, ValidationError, runFleet } from '../errors.ts';
import { liveBatches, source, type LiveBatch } from '../live.ts';
import { createGroup, deleteGroup, updateGroup } from '../../fleet/groups.ts';
import { Platform } from './enums.ts';
import { maskRenderedCredentials } from '../../fleet/secret-refs.ts';

const RenderedConfig = builder.prismaObject('RenderedConfig', {
  description: 'One published config of a group for one platform: exactly the bytes its agents download.',
  authScopes: { viewer: true },
  fields: (t) => ({
    version: t.exposeInt('version'),
    platform: t.expose('platform', { type: Platform }),
    yaml: t.string({
      description:
        'The Vector YAML (`{}` when the group has nothing to run), with `SECRET[name]` where agents get the value (a literal credential saved before references were required shows `********`).',
      select: { yaml: true },
      resolve: (r) => maskRenderedCredentials(r.yaml),
    }),
    etag: t.exposeString('etag'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.prismaObject('Group', {
  description: 'A set of agents sharing one Vector pipeline (a draft and published versions).',
  authScopes: { viewer: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    slug: t.exposeString('slug'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    configVersion: t.exposeInt('configVersion', { description: 'The newest published config version.' }),
    selfHeal: t.exposeBoolean('selfHeal', {
      description:
        'Whether its agents restore the applied config when vector.yaml changed (else only report drift).',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    agentCount: t.relationCount('agents', { where: { revokedAt: null }, description: 'Agents not revoked.' }),
    configPreview: t.field({
      type: RenderedConfig,
      nullable: true,
      description: 'The newest published config for a platform, as agents get it (YAML, version, etag).',
      args: { platform: t.arg({ type: Platform, required: true }) },
      select: (args) => ({
        renderedConfigs: { where: { platform: args.platform }, orderBy: { version: 'desc' }, take: 1 },
      }),
      resolve: (group) => group.renderedConfigs[0] ?? null,
    }),
  }),
});

builder.queryFields((t) => ({
  groups: t.prismaConnection(
    {
      type: 'Group',
      cursor: 'id',
      authScopes: { viewer: true },
      description: 'Groups by slug.',
      args: { search: t.arg.string({ description: 'Case-insensitive part of the slug or name.' }) },
      resolve: (query, _root, args, ctx) =>
        ctx.fleet.db.group.findMany({
          ...query,
          where: groupSearch(args.search),
          orderBy: [{ slug: 'asc' }, { id: 'asc' }],
        }),
      totalCount: (_conn, args, ctx) => ctx.fleet.db.group.count({ where: groupSearch(args.search) }),
    },
    { name: 'GroupConnection' },
    { name: 'GroupEdge' },
  ),
  group: t.prismaField({
    type: 'Group',
    nullable: true,
    authScopes: { viewer: true },
    args: { slug: t.arg.string({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      ctx.fleet.db.group.findUnique({ ...query, where: { slug: args.slug } }),
  }),
}));

function groupSearch(search: string | null | undefined) {
  const q = search?.trim();
  return q
    ? {
        OR: [
          { slug: { contains: q, mode: 'insensitive' as const } },
          { name: { contains: q, mode: 'insensitive' as const } },
        ],
      }
    : {};
}

const CreateGroupInput = builder.inputType('CreateGroupInput', {
  fields: (t) => ({
    slug: t.string({
      required: true,
      description: 'Lower-case letters, digits and dashes; fixed once created.',
    }),
    name: t.string({ required: true }),
    description: t.string(),
  }),
});

const UpdateGroupInput = builder.inputType('UpdateGroupInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string({ description: 'A new name publishes a new config version.' }),
    description: t.string(),
    selfHeal: t.boolean({ description: 'False: agents report a changed vector.yaml without restoring it.' }),
  }),
});

const DeleteGroupInput = builder.inputType('DeleteGroupInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

builder.mutationFields((t) => ({
  createGroup: t.prismaField({
    type: 'Group',
    description: 'Create a group and publish its first (empty) config.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: CreateGroupInput, required: true }) },
    errors: { types: PIPELINE_ERRORS, dataField: { name: 'group' } },
    resolve: async (query, _root, { input }, ctx) => {
      const group = await runFleet(() => createGroup(ctx.fleet, actorOf(ctx), fleetInput(input)));
      return ctx.fleet.db.group.findUniqueOrThrow({ ...selected(query), where: { id: group.id } });
    },
  }),
  updateGroup: t.prismaField({
    type: 'Group',
    description: 'Rename or re-describe a group.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: UpdateGroupInput, required: true }) },
    errors: { types: PIPELINE_ERRORS, dataField: { name: 'group' } },
    resolve: async (query, _root, { input }, ctx) => {
      const group = await runFleet(() => updateGroup(ctx.fleet, actorOf(ctx), fleetInput(input)));
      return ctx.fleet.db.group.findUniqueOrThrow({ ...selected(query), where: { id: group.id } });
    },
  }),
  deleteGroup: t.id({
    description: 'Delete an empty group with its pipeline, tokens and config history.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: DeleteGroupInput, required: true }) },
    errors: {
      types: [ValidationError, NotFoundError, GroupNotEmptyError],
      dataField: { name: 'deletedGroupId' },
    },
    resolve: async (_root, { input }, ctx) =>
      (await runFleet(() => deleteGroup(ctx.fleet, actorOf(ctx), fleetInput(input)))).id,
  }),
}));

const GroupUpdate = builder.objectRef<LiveBatch>('GroupUpdate').implement({
  description: 'Groups that changed since the previous message, each at its latest state.',
  fields: (t) => ({
    groups: t.prismaField({
      type: ['Group'],
      resolve: (query, batch, _args, ctx) =>
        ctx.fleet.db.group.findMany({ ...query, where: { id: { in: batch.ids } }, orderBy: { slug: 'asc' } }),
    }),
    deletedGroupIds: t.idList({
      resolve: async (batch, _args, ctx) => {
        const found = await ctx.fleet.db.group.findMany({
          where: { id: { in: batch.ids } },
          select: { id: true },
        });
        const present = new Set(found.map((g) => g.id));
        return batch.ids.filter((id) => !present.has(id));
      },
    }),
    membershipChanged: t.exposeBoolean('membershipChanged', {
      description: 'A group was deleted: refetch lists.',
    }),
  }),
});

builder.subscriptionField('groupUpdated', (t) =>
  t.field({
    type: GroupUpdate,
    description:
      'Changes to one group (id) or to every group: renames, pipeline changes (new config versions), deletion.',
    authScopes: { viewer: true },
    args: { id: t.arg.id() },
    subscribe: (_root, args, ctx) =>
      liveBatches(
        ctx.fleet.events,
        [
          source('groupUpdated', (e) =>
            !args.id || e.groupId === args.id ? { id: e.groupId, membership: e.deleted === true } : null,
          ),
        ],
        ctx.services.live,
      ),
    resolve: (batch) => batch,
  }),
);
