/**
 * The Vector component catalogue: every source, transform and sink type with its option schema
 * (types, enums, defaults, requirements), so the dashboard can generate input and output forms.
 * Conditions are served parsed (OptionCondition) and the server-managed option keys are listed, so
 * the dashboard evaluates the server's reading of the catalogue instead of re-implementing it.
 */
import { builder } from '../builder.ts';
import { getComponent, listComponents, SERVER_MANAGED_OPTIONS } from '../../fleet/vector/components.ts';
import { COMPONENT_KINDS, type ComponentSpec, type OptionSpec } from '../../fleet/vector/catalogue-types.ts';
import { parseCondition } from '../../fleet/vector/conditions.ts';
import { ComponentKind, Platform } from './enums.ts';

type NamedOption = OptionSpec & { name: string };

const ConditionOperator = builder.enumType('ConditionOperator', {
  description:
    'equals: the option is set to `value`; absent: the option is not set (null counts as not set).',
  values: ['equals', 'absent'] as const,
});

interface Term {
  field: string;
  operator: typeof ConditionOperator.$inferType;
  value: string | null;
}

const ConditionTerm = builder.objectRef<Term>('ConditionTerm').implement({
  description: 'One comparison of a condition.',
  fields: (t) => ({
    field: t.exposeString('field', { description: 'Dotted path of the option, from the options root.' }),
    operator: t.field({ type: ConditionOperator, resolve: (term) => term.operator }),
    value: t.exposeString('value', {
      nullable: true,
      description: 'The value compared with; null for absent.',
    }),
  }),
});

const OptionCondition = builder.objectRef<string>('OptionCondition').implement({
  description:
    'A catalogue condition, parsed by the server: it holds when any term of `anyOf` holds. `text` is the catalogue wording, for people.',
  fields: (t) => ({
    text: t.string({ resolve: (text) => text }),
    anyOf: t.field({
      type: [ConditionTerm],
      resolve: (text) =>
        parseCondition(text).map((term): Term =>
          term.equals === undefined
            ? { field: term.path, operator: 'absent', value: null }
            : { field: term.path, operator: 'equals', value: term.equals },
        ),
    }),
  }),
});

const OptionSyntax = builder.enumType('OptionSyntax', {
  description:
    'template: `{{ field }}` / strftime templating; vrl_program: a VRL program (the server lints it; the full compile happens in `vector validate` on the agent).',
  values: ['template', 'vrl_program'] as const,
});

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
    syntax: t.field({
      type: OptionSyntax,
      nullable: true,
      description: 'The language of a string option, when it has one; conditions (type `condition`) are VRL.',
      resolve: (o) => o.syntax ?? null,
    }),
    relevantWhen: t.field({
      type: OptionCondition,
      nullable: true,
      description: 'Shown only while this holds; null: always.',
      resolve: (o) => o.relevantWhen ?? null,
    }),
    requiredWhen: t.field({
      type: OptionCondition,
      nullable: true,
      description: 'Required while this holds.',
      resolve: (o) => o.requiredWhen ?? null,
    }),
  }),
});

const Requirement = builder
  .objectRef<{ name: string; when?: string; whenPresent?: string }>('OptionRequirement')
  .implement({
    description: 'An option required only under a condition, or once its parent object is given.',
    fields: (t) => ({
      name: t.exposeString('name'),
      when: t.field({ type: OptionCondition, nullable: true, resolve: (r) => r.when ?? null }),
      whenPresent: t.exposeString('whenPresent', { nullable: true }),
    }),
  });

const OneOf = builder.objectRef<{ options: string[] }>('OptionChoice').implement({
  fields: (t) => ({ options: t.exposeStringList('options') }),
});

const VectorComponent = builder.objectRef<ComponentSpec>('VectorComponent').implement({
  description:
    'A Vector component type and its options. Inputs use sources, outputs use sinks; transforms sit between them.',
  fields: (t) => ({
    type: t.exposeString('type'),
    kind: t.expose('kind', { type: ComponentKind }),
    platforms: t.expose('platforms', { type: [Platform] }),
    outputTypes: t.stringList({ resolve: (c) => c.outputTypes ?? [] }),
    inputTypes: t.stringList({ resolve: (c) => c.inputTypes ?? [] }),
    namedOutputs: t.stringList({
      description:
        'Named outputs, read as `<id>.<name>`: `<route key>` stands for each key of `route`; remap `dropped` exists only with `reroute_dropped`, route `_unmatched` unless `reroute_unmatched: false`.',
      resolve: (c) => c.namedOutputs ?? [],
    }),
    required: t.exposeStringList('required'),
    conditionallyRequired: t.field({ type: [Requirement], resolve: (c) => c.conditionallyRequired }),
    requiredWhenParentPresent: t.field({ type: [Requirement], resolve: (c) => c.requiredWhenParentPresent }),
    requiredOneOf: t.field({
      type: [OneOf],
      description: 'Groups of options of which exactly one must be set.',
      resolve: (c) => c.requiredOneOf.map((options) => ({ options })),
    }),
    deniesUnknownFields: t.exposeBoolean('deniesUnknownFields'),
    serverManagedOptions: t.stringList({
      description:
        'Option keys the server writes itself (e.g. `type`, `inputs`): never accepted in `options`, so forms leave them out.',
      resolve: () => [...SERVER_MANAGED_OPTIONS],
    }),
    options: t.field({
      type: [VectorOption],
      resolve: (c) =>
        Object.entries(c.options)
          .map(([name, spec]) => ({ ...spec, name }))
          .sort((a, b) => a.name.localeCompare(b.name)),
    }),
  }),
});

builder.queryFields((t) => ({
  vectorComponents: t.field({
    type: [VectorComponent],
    authScopes: { viewer: true },
    description: 'Catalogued components of one kind (or all), by type.',
    args: { kind: t.arg({ type: ComponentKind }) },
    resolve: (_root, args) =>
      (args.kind ? [args.kind] : COMPONENT_KINDS).flatMap((kind) => listComponents(kind)),
  }),
  vectorComponent: t.field({
    type: VectorComponent,
    nullable: true,
    authScopes: { viewer: true },
    args: { kind: t.arg({ type: ComponentKind, required: true }), type: t.arg.string({ required: true }) },
    resolve: (_root, args) => getComponent(args.kind, args.type) ?? null,
  }),
}));
