/**
 * Outputs: the Vector sinks of a group. Each enabled input feeds every enabled output unless the
 * output lists `inputIds`. Every change publishes a new config version or is refused.
 */
import { builder } from '../builder.ts';
import { selected } from '../selection.ts';
import { actorOf, fleetInput } from '../context.ts';
import { COMPONENT_ERRORS, PIPELINE_ERRORS, runFleet } from '../errors.ts';
import { createOutput, deleteOutput, updateOutput } from '../../fleet/outputs.ts';
import { maskCredentials } from '../../fleet/secret-refs.ts';

builder.prismaObject('Output', {
  description: 'One Vector sink of a group (a catalogue `sink` component).',
  authScopes: { viewer: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { description: 'The Vector component id; unique within the group.' }),
    type: t.exposeString('type', { description: 'The sink type, see vectorComponents(kind: sink).' }),
    options: t.field({
      type: 'JSON',
      description:
        'Sensitive options show `SECRET[name]` (a literal saved before that rule shows `********`).',
      select: { type: true, options: true },
      resolve: (o) => maskCredentials('sink', o.type, o.options),
    }),
    enabled: t.exposeBoolean('enabled'),
    inputIds: t.exposeIDList('inputIds', {
      description: 'The inputs feeding this output; empty means every enabled input.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    group: t.relation('group'),
  }),
});

const CreateOutputInput = builder.inputType('CreateOutputInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    name: t.string({ required: true }),
    type: t.string({ required: true }),
    options: t.field({
      type: 'JSON',
      description: 'Options of the sink type; checked against the catalogue.',
    }),
    enabled: t.boolean(),
    inputIds: t.idList({
      description: 'Inputs of the same group; empty or left out means every enabled input.',
    }),
  }),
});

const UpdateOutputInput = builder.inputType('UpdateOutputInput', {
  description: 'Fields left out stay as they are.',
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string(),
    options: t.field({ type: 'JSON', description: 'Replaces every option.' }),
    enabled: t.boolean(),
    inputIds: t.idList(),
  }),
});

const DeleteOutputInput = builder.inputType('DeleteOutputInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

builder.mutationFields((t) => ({
  createOutput: t.prismaField({
    type: 'Output',
    description: 'Add a sink to a group and publish.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: CreateOutputInput, required: true }) },
    errors: { types: COMPONENT_ERRORS, dataField: { name: 'output' } },
    resolve: async (query, _root, { input }, ctx) => {
      const created = await runFleet(() => createOutput(ctx.fleet, actorOf(ctx), fleetInput(input)));
      return ctx.fleet.db.output.findUniqueOrThrow({ ...selected(query), where: { id: created.id } });
    },
  }),
  updateOutput: t.prismaField({
    type: 'Output',
    description: 'Change a sink and publish.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: UpdateOutputInput, required: true }) },
    errors: { types: COMPONENT_ERRORS, dataField: { name: 'output' } },
    resolve: async (query, _root, { input }, ctx) => {
      const updated = await runFleet(() => updateOutput(ctx.fleet, actorOf(ctx), fleetInput(input)));
      return ctx.fleet.db.output.findUniqueOrThrow({ ...selected(query), where: { id: updated.id } });
    },
  }),
  deleteOutput: t.prismaField({
    type: 'Group',
    description: 'Remove a sink and publish; answers its group as it is now.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: DeleteOutputInput, required: true }) },
    errors: { types: PIPELINE_ERRORS, dataField: { name: 'group' } },
    resolve: async (query, _root, { input }, ctx) => {
      const removed = await runFleet(() => deleteOutput(ctx.fleet, actorOf(ctx), fleetInput(input)));
      return ctx.fleet.db.group.findUniqueOrThrow({ ...selected(query), where: { id: removed.groupId } });
    },
  }),
}));
