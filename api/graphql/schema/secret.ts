/**
 * Secrets (api/fleet/secrets.ts): names and who set them, never values. Values are write-only:
 * createSecret and updateSecret take one, nothing returns it. Options reference a secret as
 * `SECRET[name]`; only the agents of a group receive the value, inside their config.
 */
import { builder } from '../builder.ts';
import { selected } from '../selection.ts';
import { actorOf, fleetInput } from '../context.ts';
import {
  ConfigInvalidError,
  ConflictError,
  NotFoundError,
  SecretKeyMissingError,
  ValidationError,
  runFleet,
} from '../errors.ts';
import { FLEET_SCOPE, createSecret, deleteSecret, updateSecret } from '../../fleet/secrets.ts';
import { secretReference } from '../../fleet/secret-refs.ts';

const SecretScope = builder.enumType('SecretScope', {
  description:
    'fleet: usable by every group; group: only by its group, and preferred over a fleet secret of the same name.',
  values: ['fleet', 'group'] as const,
});

builder.prismaObject('Secret', {
  description: 'A named credential, encrypted at rest. Its value is never returned.',
  authScopes: { viewer: true },
  select: { id: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    reference: t.string({
      description: 'What to write in an option: `SECRET[name]`.',
      select: { name: true },
      resolve: (s) => secretReference(s.name),
    }),
    scope: t.field({
      type: SecretScope,
      select: { scope: true },
      resolve: (s) => (s.scope === FLEET_SCOPE ? 'fleet' : 'group'),
    }),
    group: t.relation('group', { nullable: true }),
    createdBy: t.exposeString('createdBy'),
    updatedBy: t.exposeString('updatedBy'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.prismaObjectField('Group', 'secrets', (t) =>
  t.relation('secrets', {
    description: 'The group’s own secrets, by name.',
    query: { orderBy: { name: 'asc' } },
  }),
);

builder.queryFields((t) => ({
  fleetSecrets: t.prismaField({
    type: ['Secret'],
    description: 'Fleet-wide secrets, by name (values are never returned).',
    authScopes: { viewer: true },
    resolve: (query, _root, _args, ctx) =>
      ctx.fleet.db.secret.findMany({ ...query, where: { scope: FLEET_SCOPE }, orderBy: { name: 'asc' } }),
  }),
}));

const CreateSecretInput = builder.inputType('CreateSecretInput', {
  fields: (t) => ({
    groupId: t.id({ description: 'The group; left out for a fleet-wide secret.' }),
    name: t.string({ required: true, description: 'Letters, digits and `_`; referenced as `SECRET[name]`.' }),
    value: t.string({ required: true, description: 'Write-only.' }),
  }),
});
const UpdateSecretInput = builder.inputType('UpdateSecretInput', {
  fields: (t) => ({ id: t.id({ required: true }), value: t.string({ required: true }) }),
});
const DeleteSecretInput = builder.inputType('DeleteSecretInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

const WRITE_ERRORS = [
  ValidationError,
  ConflictError,
  NotFoundError,
  ConfigInvalidError,
  SecretKeyMissingError,
];

builder.mutationFields((t) => ({
  createSecret: t.prismaField({
    type: 'Secret',
    description: 'Store a secret; groups whose references now resolve to it are republished.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: CreateSecretInput, required: true }) },
    errors: { types: WRITE_ERRORS, dataField: { name: 'secret' } },
    resolve: async (query, _root, { input }, ctx) => {
      const created = await runFleet(() => createSecret(ctx.fleet, actorOf(ctx), fleetInput(input)));
      return ctx.fleet.db.secret.findUniqueOrThrow({ ...selected(query), where: { id: created.id } });
    },
  }),
  updateSecret: t.prismaField({
    type: 'Secret',
    description: 'Replace a secret’s value; every group using it is republished (a new config version).',
    authScopes: { editor: true },
    args: { input: t.arg({ type: UpdateSecretInput, required: true }) },
    errors: { types: WRITE_ERRORS, dataField: { name: 'secret' } },
    resolve: async (query, _root, { input }, ctx) => {
      const updated = await runFleet(() => updateSecret(ctx.fleet, actorOf(ctx), fleetInput(input)));
      return ctx.fleet.db.secret.findUniqueOrThrow({ ...selected(query), where: { id: updated.id } });
    },
  }),
  deleteSecret: t.id({
    description:
      'Delete a secret; refused (ConflictError, code secret_in_use) while a pipeline references it.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: DeleteSecretInput, required: true }) },
    errors: {
      types: [ValidationError, NotFoundError, ConflictError],
      dataField: { name: 'deletedSecretId' },
    },
    resolve: async (_root, { input }, ctx) =>
      (await runFleet(() => deleteSecret(ctx.fleet, actorOf(ctx), fleetInput(input)))).id,
  }),
}));
