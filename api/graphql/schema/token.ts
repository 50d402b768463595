/**
 * Tokens: enrolment (EBT_) tokens that let hosts join a group, and API (FLT_) tokens for
 * automation. Secrets appear once, in the mint/create payload, and are never readable again.
 */
import type { Prisma } from '../../generated/prisma/client.ts';
import { builder } from '../builder.ts';
import { selected } from '../selection.ts';
import { actorOf, fleetInput } from '../context.ts';
import { INPUT_ERRORS, assertUuids, runFleet } from '../errors.ts';
import { mintEnrolmentToken, revokeEnrolmentToken } from '../../fleet/enrolment-tokens.ts';
import { createApiToken, revokeApiToken, revokeUserApiTokens } from '../../fleet/api-tokens.ts';
import { Role } from './enums.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../limits.ts';
import { liveBatches, source, type LiveBatch } from '../live.ts';

builder.prismaObject('EnrolmentToken', {
  description: 'A bootstrap token: lets up to maxUses hosts enrol into its group until expiresAt.',
  authScopes: { viewer: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    prefix: t.exposeString('prefix', { description: 'The first characters of the secret, to recognise it.' }),
    maxUses: t.exposeInt('maxUses'),
    uses: t.exposeInt('uses'),
    allowGroupOverride: t.exposeBoolean('allowGroupOverride', {
      description: 'Whether enrolments may name another group than this one.',
    }),
    usesLeft: t.int({ resolve: (tok) => Math.max(0, tok.maxUses - tok.uses) }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    active: t.boolean({
      description: 'Not revoked, not expired and not used up.',
      resolve: (tok, _args, ctx) =>
        !tok.revokedAt && tok.expiresAt > ctx.fleet.clock() && tok.uses < tok.maxUses,
    }),
    createdBy: t.exposeString('createdBy'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    group: t.relation('group'),
    agents: t.relation('agents', {
      description:
        'Agents that enrolled with this token, first enrolled first (at most `first`, default 50).',
      args: { first: t.arg.int({ defaultValue: DEFAULT_PAGE_SIZE }) },
      query: (args) => ({
        orderBy: [{ enrolledAt: 'asc' }, { id: 'asc' }],
        take: Math.min(Math.max(args.first ?? DEFAULT_PAGE_SIZE, 0), MAX_PAGE_SIZE),
      }),
    }),
    agentCount: t.relationCount('agents', { description: 'Agents that enrolled with this token.' }),
  }),
});

builder.prismaObject('ApiToken', {
  description: 'A bearer token for automation, acting as its user with at most `role`.',
  authScopes: { admin: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    prefix: t.exposeString('prefix'),
    role: t.expose('role', { type: Role }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    user: t.relation('user'),
  }),
});

function tokenWhere(
  args: { groupId?: string | null; activeOnly?: boolean | null },
  now: Date,
): Prisma.EnrolmentTokenWhereInput {
  assertUuids(args.groupId ? [args.groupId] : [], 'groupId');
  return {
    ...(args.groupId ? { groupId: args.groupId } : {}),
    ...(args.activeOnly ? { revokedAt: null, expiresAt: { gt: now } } : {}),
  };
}

function apiTokenWhere(userId: string | null | undefined): Prisma.ApiTokenWhereInput {
  assertUuids(userId ? [userId] : [], 'userId');
  return userId ? { userId } : {};
}

builder.queryFields((t) => ({
  enrolmentTokens: t.prismaConnection(
    {
      type: 'EnrolmentToken',
      cursor: 'id',
      authScopes: { viewer: true },
      description: 'Enrolment tokens, newest first.',
      args: {
        groupId: t.arg.id(),
        activeOnly: t.arg.boolean({ description: 'Leave out revoked and expired tokens.' }),
      },
      resolve: (query, _root, args, ctx) =>
        ctx.fleet.db.enrolmentToken.findMany({
          ...query,
          where: tokenWhere(args, ctx.fleet.clock()),
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        }),
      totalCount: (_conn, args, ctx) =>
        ctx.fleet.db.enrolmentToken.count({ where: tokenWhere(args, ctx.fleet.clock()) }),
    },
    { name: 'EnrolmentTokenConnection' },
    { name: 'EnrolmentTokenEdge' },
  ),
  apiTokens: t.prismaConnection(
    {
      type: 'ApiToken',
      cursor: 'id',
      authScopes: { admin: true },
      description: 'API tokens, newest first.',
      args: { userId: t.arg.id() },
      resolve: (query, _root, args, ctx) =>
        ctx.fleet.db.apiToken.findMany({
          ...query,
          where: apiTokenWhere(args.userId),
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        }),
      totalCount: (_conn, args, ctx) => ctx.fleet.db.apiToken.count({ where: apiTokenWhere(args.userId) }),
    },
    { name: 'ApiTokenConnection' },
    { name: 'ApiTokenEdge' },
  ),
}));

const MintEnrolmentTokenInput = builder.inputType('MintEnrolmentTokenInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    maxUses: t.int({ required: true }),
    ttlSeconds: t.int({ required: true, description: 'Lifetime, 60 s to a year.' }),
    allowGroupOverride: t.boolean({
      description:
        'Let hosts enrolling with this token choose another group by slug. Default false: they join this group only.',
    }),
  }),
});
const RevokeEnrolmentTokenInput = builder.inputType('RevokeEnrolmentTokenInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});
const CreateApiTokenInput = builder.inputType('CreateApiTokenInput', {
  description: 'Give userId or email.',
  fields: (t) => ({
    userId: t.id(),
    email: t.string(),
    name: t.string({ required: true }),
    role: t.field({ type: Role, description: "At most the user's role (the default)." }),
    ttlDays: t.int({ description: 'Lifetime in days; no expiry when left out.' }),
  }),
});
const RevokeUserApiTokensInput = builder.inputType('RevokeUserApiTokensInput', {
  fields: (t) => ({ userId: t.id({ required: true }) }),
});
const RevokeUserApiTokensPayload = builder
  .objectRef<{ revokedCount: number }>('RevokeUserApiTokensPayload')
  .implement({
    fields: (t) => ({
      revokedCount: t.exposeInt('revokedCount', {
        description: 'Tokens that were active and are now revoked.',
      }),
    }),
  });
const RevokeApiTokenInput = builder.inputType('RevokeApiTokenInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

interface Minted {
  token: string;
  id: string;
}

const MintEnrolmentTokenPayload = builder.objectRef<Minted>('MintEnrolmentTokenPayload').implement({
  fields: (t) => ({
    token: t.exposeString('token', { description: 'The EBT_ secret: shown this once only.' }),
    enrolmentToken: t.prismaField({
      type: 'EnrolmentToken',
      resolve: (query, minted, _args, ctx) =>
        ctx.fleet.db.enrolmentToken.findUniqueOrThrow({ ...query, where: { id: minted.id } }),
    }),
  }),
});

const CreateApiTokenPayload = builder.objectRef<Minted>('CreateApiTokenPayload').implement({
  fields: (t) => ({
    token: t.exposeString('token', { description: 'The FLT_ secret: shown this once only.' }),
    apiToken: t.prismaField({
      type: 'ApiToken',
      resolve: (query, minted, _args, ctx) =>
        ctx.fleet.db.apiToken.findUniqueOrThrow({ ...query, where: { id: minted.id } }),
    }),
  }),
});

builder.mutationFields((t) => ({
  mintEnrolmentToken: t.field({
    type: MintEnrolmentTokenPayload,
    description: 'Mint a bootstrap token for a group.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: MintEnrolmentTokenInput, required: true }) },
    errors: { types: INPUT_ERRORS, directResult: true },
    resolve: async (_root, { input }, ctx) => {
      const minted = await runFleet(() => mintEnrolmentToken(ctx.fleet, actorOf(ctx), fleetInput(input)));
      return { token: minted.token, id: minted.record.id };
    },
  }),
  revokeEnrolmentToken: t.prismaField({
    type: 'EnrolmentToken',
    description: 'Revoke a bootstrap token; later enrolments with it are refused.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: RevokeEnrolmentTokenInput, required: true }) },
    errors: { types: INPUT_ERRORS, dataField: { name: 'enrolmentToken' } },
    resolve: async (query, _root, { input }, ctx) => {
      const revoked = await runFleet(() => revokeEnrolmentToken(ctx.fleet, actorOf(ctx), input));
      return ctx.fleet.db.enrolmentToken.findUniqueOrThrow({ ...selected(query), where: { id: revoked.id } });
    },
  }),
  createApiToken: t.field({
    type: CreateApiTokenPayload,
    description: 'Create an API token for a user.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateApiTokenInput, required: true }) },
    errors: { types: INPUT_ERRORS, directResult: true },
    resolve: async (_root, { input }, ctx) => {
      const created = await runFleet(() => createApiToken(ctx.fleet, actorOf(ctx), fleetInput(input)));
      return { token: created.token, id: created.record.id };
    },
  }),
  revokeApiToken: t.prismaField({
    type: 'ApiToken',
    description: 'Revoke an API token; it is refused from then on.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: RevokeApiTokenInput, required: true }) },
    errors: { types: INPUT_ERRORS, dataField: { name: 'apiToken' } },
    resolve: async (query, _root, { input }, ctx) => {
      const revoked = await runFleet(() => revokeApiToken(ctx.fleet, actorOf(ctx), input));
      return ctx.fleet.db.apiToken.findUniqueOrThrow({ ...selected(query), where: { id: revoked.id } });
    },
  }),
  revokeUserApiTokens: t.field({
    type: RevokeUserApiTokensPayload,
    description:
      'Revoke every active API token of a user at once. API tokens survive a password reset; this ends them.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: RevokeUserApiTokensInput, required: true }) },
    errors: { types: INPUT_ERRORS, directResult: true },
    resolve: async (_root, { input }, ctx) => ({
      revokedCount: await runFleet(() => revokeUserApiTokens(ctx.fleet, actorOf(ctx), input)),
    }),
  }),
}));

builder.subscriptionField('enrolmentTokenUsed', (t) =>
  t.prismaField({
    type: 'Agent',
    description:
      'Each agent that enrols with enrolment token `tokenId`, one per message (follow it further with agentUpdated(agentId)).',
    authScopes: { editor: true },
    args: { tokenId: t.arg.id({ required: true }) },
    subscribe: (_root, { tokenId }, ctx) => {
      assertUuids([tokenId], 'tokenId');
      const pick = source('enrolmentTokenUsed', (e) =>
        e.tokenId === tokenId ? { id: e.agentId, membership: true } : null,
      );
      return liveBatches(ctx.fleet.events, [pick], { ...ctx.services.live, maxBatch: 1 });
    },
    resolve: (query, batch: LiveBatch, _args, ctx) =>
      ctx.fleet.db.agent.findUniqueOrThrow({ ...query, where: { id: batch.ids[0] } }),
  }),
);
