/**
 * The Pothos SchemaBuilder: plugins (scope-auth first, errors before prisma), the schema's type
 * parameters, scalars, role scopes and page sizes. Configuration only; the types live in schema/.
 */
import SchemaBuilder from '@pothos/core';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ComplexityPlugin from '@pothos/plugin-complexity';
import { GraphQLError, GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql';
import type PrismaTypes from '../generated/pothos-prisma-types.ts';
import { getDatamodel } from '../generated/pothos-prisma-types.ts';
import { roleAtLeast } from '../fleet/users.ts';
import type { GraphQLContext } from './context.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, fieldCost } from './limits.ts';
import { checkedJson } from './input-bounds.ts';

export interface SchemaTypes {
  PrismaTypes: PrismaTypes;
  Context: GraphQLContext;
  /** `public` is granted to everyone, so public fields still state their scope. */
  AuthScopes: { public: boolean; viewer: boolean; editor: boolean; admin: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}

const ucfirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export const builder = new SchemaBuilder<SchemaTypes>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin, ComplexityPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      public: true,
      viewer: roleAtLeast(ctx.actor?.role ?? null, 'viewer'),
      editor: roleAtLeast(ctx.actor?.role ?? null, 'editor'),
      admin: roleAtLeast(ctx.actor?.role ?? null, 'admin'),
    }),
    unauthorizedError: (_parent, ctx, info) =>
      ctx.actor
        ? new GraphQLError(
            `${info.parentType.name}.${info.fieldName} needs a higher role than ${ctx.actor.role}`,
            {
              extensions: { code: 'FORBIDDEN' },
            },
          )
        : new GraphQLError('sign in or send an API token', { extensions: { code: 'UNAUTHENTICATED' } }),
  },
  errors: {
    directResult: false,
    defaultResultOptions: { name: ({ fieldName }) => `${ucfirst(fieldName)}Payload` },
    defaultUnionOptions: { name: ({ fieldName }) => `${ucfirst(fieldName)}Result` },
  },
  prisma: {
    client: (ctx) => ctx.fleet.db,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    defaultConnectionSize: DEFAULT_PAGE_SIZE,
    maxConnectionSize: MAX_PAGE_SIZE,
    onUnusedQuery: null,
  },
  // Costs only: limits.ts checks them before execution (useQueryLimits), not per resolver.
  complexity: { fieldComplexity: fieldCost },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
});

builder.addScalarType(
  'DateTime',
  new GraphQLScalarType<Date, string>({
    name: 'DateTime',
    description: 'An instant as an ISO 8601 string in UTC, e.g. 2026-11-23T11:33:28.000Z.',
    serialize: (value) => (value instanceof Date ? value : new Date(value as string)).toISOString(),
    parseValue: (value) => parseDate(value),
    parseLiteral: (ast) => (ast.kind === Kind.STRING ? parseDate(ast.value) : invalidDate()),
  }),
);

builder.addScalarType(
  'JSON',
  new GraphQLScalarType<unknown, unknown>({
    name: 'JSON',
    description: 'Any JSON value (component options, action payloads and results, audit snapshots).',
    serialize: (value) => value,
    parseValue: (value) => checkedJson(value),
    parseLiteral: (ast, variables) => checkedJson(valueFromASTUntyped(ast, variables)),
  }),
);

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : invalidDate();
}

function invalidDate(): never {
  throw new GraphQLError('DateTime must be an ISO 8601 string');
}

builder.queryType({ description: 'Reads. Every field names the role it needs.' });
builder.mutationType({ description: 'Writes, each through api/fleet; expected failures are typed results.' });
builder.subscriptionType({ description: 'Live updates over graphql-ws on /graphql, coalesced under load.' });
