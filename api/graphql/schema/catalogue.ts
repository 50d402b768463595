/**
 * The Vector component catalogue: every source, transform and sink type with its option schema
 * (types, enums, defaults, requirements), so the dashboard can generate input and output forms.
 */
import { builder } from '../builder.ts';
import {
  getComponent,
  listComponents,
  type ComponentKind as Kind,
  type ComponentSpec,
  type OptionSpec,
} from '../../fleet/vector/components.ts';
import { ComponentKind, Platform } from './enums.ts';

type NamedOption = OptionSpec & { name: string };

const VectorOption = builder.objectRef<NamedOption>('VectorOption').implement({
  description: 'One option of a component, by dotted path (`[]` marks array elements, `*` map keys).',
  fields: (t) => ({
    name: t.exposeString('name'),
    types: t.stringList({
      description: 'Accepted value types (string, uint, bool, object, …).',
      resolve: (o) => [o.type].flat(),
    }),
    required: t.exposeBoolean('required', { description: 'Required within its parent object.' }),
    enum: t.exposeStringList('enum', { nullable: true }),
    default: t.expose('default', { type: 'JSON', nullable: true }),
    items: t.exposeString('items', { nullable: true, description: 'The element type of an array option.' }),
    itemEnum: t.exposeStringList('itemEnum', { nullable: true }),
    example: t.expose('example', { type: 'JSON', nullable: true }),
    note: t.exposeString('note', { nullable: true }),
    relevantWhen: t.exposeString('relevantWhen', { nullable: true }),
    requiredWhen: t.exposeString('requiredWhen', { nullable: true }),
  }),
});

const Requirement = builder
  .objectRef<{ name: string; when?: string; whenPresent?: string }>('OptionRequirement')
  .implement({
    description: 'An option required only under a condition, or once its parent object is given.',
    fields: (t) => ({
      name: t.exposeString('name'),
      when: t.exposeString('when', { nullable: true }),
      whenPresent: t.exposeString('whenPresent', { nullable: true }),
    }),
  });

const OneOf = builder.objectRef<{ options: string[] }>('OptionChoice').implement({
  fields: (t) => ({ options: t.exposeStringList('options') }),
});

const VectorComponent = builder.objectRef<ComponentSpec>('VectorComponent').implement({
  description: 'A Vector component type and its options. Inputs use sources, outputs use sinks.',
  fields: (t) => ({
    type: t.exposeString('type'),
    kind: t.expose('kind', { type: ComponentKind }),
    platforms: t.expose('platforms', { type: [Platform] }),
    outputTypes: t.stringList({ resolve: (c) => c.outputTypes ?? [] }),
    inputTypes: t.stringList({ resolve: (c) => c.inputTypes ?? [] }),
    required: t.exposeStringList('required'),
    conditionallyRequired: t.field({ type: [Requirement], resolve: (c) => c.conditionallyRequired }),
    requiredWhenParentPresent: t.field({ type: [Requirement], resolve: (c) => c.requiredWhenParentPresent }),
    requiredOneOf: t.field({
      type: [OneOf],
      description: 'Groups of options of which exactly one must be set.',
      resolve: (c) => c.requiredOneOf.map((options) => ({ options })),
    }),
    deniesUnknownFields: t.exposeBoolean('deniesUnknownFields'),
    options: t.field({
      type: [VectorOption],
      resolve: (c) =>
        Object.entries(c.options)
          .map(([name, spec]) => ({ ...spec, name }))
          .sort((a, b) => a.name.localeCompare(b.name)),
    }),
  }),
});

const KINDS: Kind[] = ['source', 'transform', 'sink'];

builder.queryFields((t) => ({
  vectorComponents: t.field({
    type: [VectorComponent],
    authScopes: { viewer: true },
    description: 'Catalogued components of one kind (or all), by type.',
    args: { kind: t.arg({ type: ComponentKind }) },
    resolve: (_root, args) => (args.kind ? [args.kind] : KINDS).flatMap((kind) => listComponents(kind)),
  }),
  vectorComponent: t.field({
    type: VectorComponent,
    nullable: true,
    authScopes: { viewer: true },
    args: { kind: t.arg({ type: ComponentKind, required: true }), type: t.arg.string({ required: true }) },
    resolve: (_root, args) => getComponent(args.kind, args.type) ?? null,
  }),
}));
