/**
 * Inputs: the Vector sources of a group. Every change publishes a new config version, or is
 * refused (ConfigInvalidError) when that config would not pass `vector validate`.
 */
import { builder } from '../builder.ts';
import { selected } from '../selection.ts';
import { actorOf, fleetInput } from '../context.ts';
import { COMPONENT_ERRORS, PIPELINE_ERRORS, runFleet } from '../errors.ts';
import { createInput, deleteInput, updateInput } from '../../fleet/inputs.ts';
import { maskCredentials } from '../../fleet/secret-refs.ts';
import { Platform } from './enums.ts';

builder.prismaObject('Input', {
  description: 'One Vector source of a group (a catalogue `source` component).',
  authScopes: { viewer: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { description: 'The Vector component id; unique within the group.' }),
    type: t.exposeString('type', { description: 'The source type, see vectorComponents(kind: source).' }),
    options: t.field({
      type: 'JSON',
      description:
        'Sensitive options show `SECRET[name]` (a literal saved before that rule shows `********`).',
      select: { type: true, options: true },
      resolve: (i) => maskCredentials('source', i.type, i.options),
    }),
    platforms: t.expose('platforms', { type: [Platform], description: 'Where the input runs.' }),
    enabled: t.exposeBoolean('enabled'),
    indexOverride: t.exposeString('indexOverride', { nullable: true }),
    sourcetypeOverride: t.exposeString('sourcetypeOverride', { nullable: true }),
    sourceOverride: t.exposeString('sourceOverride', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    group: t.relation('group'),
  }),
});

const OVERRIDES = ['indexOverride', 'sourcetypeOverride', 'sourceOverride'] as const;

const CreateInputInput = builder.inputType('CreateInputInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    name: t.string({ required: true }),
    type: t.string({ required: true }),
    options: t.field({
      type: 'JSON',
      description: 'Options of the source type; checked against the catalogue.',
    }),
    platforms: t.field({ type: [Platform], description: 'Defaults from the source type.' }),
    enabled: t.boolean(),
    indexOverride: t.string(),
    sourcetypeOverride: t.string(),
    sourceOverride: t.string(),
  }),
});

const UpdateInputInput = builder.inputType('UpdateInputInput', {
  description: 'Fields left out stay as they are; an override set to null is removed.',
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string(),
    options: t.field({ type: 'JSON', description: 'Replaces every option.' }),
    platforms: t.field({ type: [Platform] }),
    enabled: t.boolean(),
    indexOverride: t.string(),
    sourcetypeOverride: t.string(),
    sourceOverride: t.string(),
  }),
});

const DeleteInputInput = builder.inputType('DeleteInputInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

builder.mutationFields((t) => ({
  createInput: t.prismaField({
    type: 'Input',
    description: 'Add a source to a group and publish.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: CreateInputInput, required: true }) },
    errors: { types: COMPONENT_ERRORS, dataField: { name: 'input' } },
    resolve: async (query, _root, { input }, ctx) => {
      const created = await runFleet(() => createInput(ctx.fleet, actorOf(ctx), fleetInput(input)));
      return ctx.fleet.db.input.findUniqueOrThrow({ ...selected(query), where: { id: created.id } });
    },
  }),
  updateInput: t.prismaField({
    type: 'Input',
    description: 'Change a source and publish.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: UpdateInputInput, required: true }) },
    errors: { types: COMPONENT_ERRORS, dataField: { name: 'input' } },
    resolve: async (query, _root, { input }, ctx) => {
      const updated = await runFleet(() =>
        updateInput(ctx.fleet, actorOf(ctx), fleetInput(input, OVERRIDES)),
      );
      return ctx.fleet.db.input.findUniqueOrThrow({ ...selected(query), where: { id: updated.id } });
    },
  }),
  deleteInput: t.prismaField({
    type: 'Group',
    description: 'Remove a source and publish; answers its group as it is now.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: DeleteInputInput, required: true }) },
    errors: { types: PIPELINE_ERRORS, dataField: { name: 'group' } },
    resolve: async (query, _root, { input }, ctx) => {
      const removed = await runFleet(() => deleteInput(ctx.fleet, actorOf(ctx), fleetInput(input)));
      return ctx.fleet.db.group.findUniqueOrThrow({ ...selected(query), where: { id: removed.groupId } });
    },
  }),
}));
