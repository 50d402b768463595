/**
 * Users (admin): the User type, the users connection, create, update (role, disabled) and
 * password reset. Password hashes never leave the database layer.
 */
import { builder } from '../builder.ts';
import { selected } from '../selection.ts';
import { actorOf, fleetInput } from '../context.ts';
import { ConflictError, INPUT_ERRORS, runFleet } from '../errors.ts';
import { createUser, resetPassword, updateUser } from '../../fleet/users.ts';
import { Role } from './enums.ts';

builder.prismaObject('User', {
  description: 'A person who signs in to the dashboard.',
  authScopes: (user, ctx) => user.id === ctx.identity.userId || { viewer: true },
  select: { id: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    role: t.expose('role', { type: Role }),
    disabled: t.boolean({ select: { disabledAt: true }, resolve: (u) => u.disabledAt !== null }),
    disabledAt: t.expose('disabledAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryField('users', (t) =>
  t.prismaConnection(
    {
      type: 'User',
      cursor: 'id',
      authScopes: { admin: true },
      description: 'Users by email.',
      resolve: (query, _root, _args, ctx) =>
        ctx.fleet.db.user.findMany({ ...query, orderBy: [{ email: 'asc' }, { id: 'asc' }] }),
      totalCount: (_conn, _args, ctx) => ctx.fleet.db.user.count(),
    },
    { name: 'UserConnection' },
    { name: 'UserEdge' },
  ),
);

const CreateUserInput = builder.inputType('CreateUserInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    role: t.field({ type: Role, required: true }),
    password: t.string({ required: true, description: 'At least 12 characters.' }),
  }),
});
const UpdateUserInput = builder.inputType('UpdateUserInput', {
  description: 'Disabling a user ends their sessions; their API tokens are refused while disabled.',
  fields: (t) => ({ id: t.id({ required: true }), role: t.field({ type: Role }), disabled: t.boolean() }),
});
const ResetUserPasswordInput = builder.inputType('ResetUserPasswordInput', {
  fields: (t) => ({ email: t.string({ required: true }), password: t.string({ required: true }) }),
});

builder.mutationFields((t) => ({
  createUser: t.prismaField({
    type: 'User',
    description: 'Create a user who signs in with email and password.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateUserInput, required: true }) },
    errors: { types: [...INPUT_ERRORS, ConflictError], dataField: { name: 'user' } },
    resolve: async (query, _root, { input }, ctx) => {
      const user = await runFleet(() => createUser(ctx.fleet, actorOf(ctx), input));
      return ctx.fleet.db.user.findUniqueOrThrow({ ...selected(query), where: { id: user.id } });
    },
  }),
  updateUser: t.prismaField({
    type: 'User',
    description: "Change a user's role, or disable / re-enable them.",
    authScopes: { admin: true },
    args: { input: t.arg({ type: UpdateUserInput, required: true }) },
    errors: { types: INPUT_ERRORS, dataField: { name: 'user' } },
    resolve: async (query, _root, { input }, ctx) => {
      const user = await runFleet(() => updateUser(ctx.fleet, actorOf(ctx), fleetInput(input)));
      return ctx.fleet.db.user.findUniqueOrThrow({ ...selected(query), where: { id: user.id } });
    },
  }),
  resetUserPassword: t.prismaField({
    type: 'User',
    description: "Set a user's password and end their sessions.",
    authScopes: { admin: true },
    args: { input: t.arg({ type: ResetUserPasswordInput, required: true }) },
    errors: { types: INPUT_ERRORS, dataField: { name: 'user' } },
    resolve: async (query, _root, { input }, ctx) => {
      const user = await runFleet(() => resetPassword(ctx.fleet, actorOf(ctx), input));
      return ctx.fleet.db.user.findUniqueOrThrow({ ...selected(query), where: { id: user.id } });
    },
  }),
}));
