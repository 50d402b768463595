/**
 * The component policy of a group (api/fleet/policy.ts): Group.componentPolicy for every reader,
 * and setGroupComponentPolicy for admins.
 */
import { builder } from '../builder.ts';
import { selected } from '../selection.ts';
import { actorOf, fleetInput } from '../context.ts';
import { ConflictError, NotFoundError, ValidationError, runFleet } from '../errors.ts';
import {
  ALWAYS_DENIED_PREFIXES,
  DEFAULT_READ_DENIED_PREFIXES,
  DEFAULT_WRITE_DENIED_PREFIXES,
  GUARDED_COMPONENTS,
  setGroupComponentPolicy,
  type GroupPolicy,
  type GuardedComponent,
} from '../../fleet/policy.ts';
import { ComponentKind } from './enums.ts';

const GuardedComponentState = builder
  .objectRef<GuardedComponent & { allowed: boolean }>('GuardedComponentState')
  .implement({
    description: 'A component type that needs an admin’s consent per group, and whether this group has it.',
    fields: (t) => ({
      key: t.exposeString('key', { description: '`<kind>:<type>`, as setGroupComponentPolicy takes it.' }),
      kind: t.field({ type: ComponentKind, resolve: (c) => c.kind }),
      type: t.exposeString('type'),
      reason: t.exposeString('reason', { description: 'Why it is guarded.' }),
      allowed: t.exposeBoolean('allowed'),
    }),
  });

const ComponentPolicy = builder.objectRef<GroupPolicy>('ComponentPolicy').implement({
  description:
    'What an editor’s pipeline may do on this group’s hosts: guarded component types, and the prefixes local paths must be under.',
  fields: (t) => ({
    guardedComponents: t.field({
      type: [GuardedComponentState],
      resolve: (p) => GUARDED_COMPONENTS.map((c) => ({ ...c, allowed: p.allowedComponents.includes(c.key) })),
    }),
    allowedComponents: t.exposeStringList('allowedComponents', {
      description: 'Keys of the enabled guarded types.',
    }),
    readPathPrefixes: t.exposeStringList('readPathPrefixes', {
      description: 'Paths inputs read must be under these; empty: anywhere but the denied prefixes.',
    }),
    writePathPrefixes: t.exposeStringList('writePathPrefixes', {
      description: 'Paths components write must be under these; empty: anywhere but the default denials.',
    }),
    alwaysDeniedPrefixes: t.stringList({
      description: 'The agent’s own directories: never read or written, whatever the policy.',
      resolve: () => [...ALWAYS_DENIED_PREFIXES],
    }),
    defaultReadDeniedPrefixes: t.stringList({
      description: 'Refused for reads while readPathPrefixes is empty.',
      resolve: () => [...DEFAULT_READ_DENIED_PREFIXES],
    }),
    defaultWriteDeniedPrefixes: t.stringList({
      description: 'Refused for writes while writePathPrefixes is empty.',
      resolve: () => [...DEFAULT_WRITE_DENIED_PREFIXES],
    }),
  }),
});

builder.prismaObjectField('Group', 'componentPolicy', (t) =>
  t.field({
    type: ComponentPolicy,
    description: 'Which guarded components and local paths this group’s pipeline may use.',
    select: { allowedComponents: true, readPathPrefixes: true, writePathPrefixes: true },
    resolve: (group) => group,
  }),
);

const SetGroupComponentPolicyInput = builder.inputType('SetGroupComponentPolicyInput', {
  description: 'The whole policy: lists replace the current ones.',
  fields: (t) => ({
    groupId: t.id({ required: true }),
    allowedComponents: t.stringList({
      required: true,
      description: 'Guarded types to enable, e.g. `source:exec`.',
    }),
    readPathPrefixes: t.stringList({ required: true }),
    writePathPrefixes: t.stringList({ required: true }),
  }),
});

builder.mutationFields((t) => ({
  setGroupComponentPolicy: t.prismaField({
    type: 'Group',
    description:
      'Admins: replace a group’s component policy (audited). Refused (ConflictError) while a component of the group would break it.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: SetGroupComponentPolicyInput, required: true }) },
    errors: { types: [ValidationError, NotFoundError, ConflictError], dataField: { name: 'group' } },
    resolve: async (query, _root, { input }, ctx) => {
      const group = await runFleet(() => setGroupComponentPolicy(ctx.fleet, actorOf(ctx), fleetInput(input)));
      return ctx.fleet.db.group.findUniqueOrThrow({ ...selected(query), where: { id: group.id } });
    },
  }),
}));
