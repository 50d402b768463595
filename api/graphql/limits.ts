/**
 * Request limits for /graphql: body size, parser tokens, page size, query depth and query cost.
 * Cost and depth come from @pothos/plugin-complexity (the builder registers `fieldCost` as every
 * field's default; a field with its own `complexity` option overrides it) and are checked by its
 * validation rule on the operation about to run, with its variables, before any resolver.
 *
 * The cost model: a field costs 1; a root field (query, mutation, subscription) is a database
 * round trip and costs ROOT_FIELD_COST; an aggregate over the whole fleet declares
 * AGGREGATE_COST; a connection multiplies what it selects by its page size (`first`/`last`, else
 * DEFAULT_PAGE_SIZE). Other lists (labels, inputs, catalogue entries) come with their parent row
 * or from memory and do not multiply. Introspection (`__schema`, `__type`) is free.
 */
import { GraphQLError, parse, validate } from 'graphql';
import type { DocumentNode, GraphQLField, GraphQLSchema } from 'graphql';
import { PothosValidationError } from '@pothos/core';
import { createComplexityRule, type FieldComplexityValue } from '@pothos/plugin-complexity';
import type { Plugin } from 'graphql-yoga';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
export const MAX_DEPTH = 10;
export const MAX_COST = 50_000;
/** What a root field (one database round trip or transaction) costs. */
export const ROOT_FIELD_COST = 50;
/** What a field that aggregates over the whole fleet costs (fleetSummary). */
export const AGGREGATE_COST = 2_500;
/** Most lexical tokens a document may have: refuses huge or 2,000-level documents while parsing. */
export const MAX_TOKENS = 2_000;
/** Largest HTTP body and WebSocket message /graphql accepts. */
export const MAX_BODY_BYTES = 256 * 1024;

const ROOT_KINDS = new Set(['Query', 'Mutation', 'Subscription']);

function limitError(message: string, code: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

function pageSize(fieldName: string, args: Record<string, unknown>): number {
  let size: number | null = null;
  for (const name of ['first', 'last']) {
    const value = args[name];
    if (typeof value !== 'number') continue;
    if (value > MAX_PAGE_SIZE) {
      throw new PothosValidationError(
        `${fieldName}(${name}: ${value}): pages hold at most ${MAX_PAGE_SIZE} items`,
        { extensions: { code: 'PAGE_SIZE_TOO_LARGE' } },
      );
    }
    size = Math.max(size ?? 0, value);
  }
  return size ?? DEFAULT_PAGE_SIZE;
}

/**
 * The default cost of a field for @pothos/plugin-complexity (see the cost model above). Throws a
 * PothosValidationError (code PAGE_SIZE_TOO_LARGE) for a page over MAX_PAGE_SIZE, which the
 * complexity rule reports as a validation error.
 */
export function fieldCost<Context>(
  args: Record<string, unknown>,
  _ctx: Context,
  field: GraphQLField<unknown, Context, Record<string, unknown>>,
): FieldComplexityValue {
  const kind = (field.extensions.pothosConfig as { kind?: string } | undefined)?.kind;
  const own = kind !== undefined && ROOT_KINDS.has(kind) ? ROOT_FIELD_COST : 1;
  if (field.args.some((a) => a.name === 'first'))
    return { field: own, multiplier: pageSize(field.name, args) };
  // Other lists (labels, inputs, catalogue entries) come with their parent row or from memory.
  return { field: own, multiplier: 1 };
}

/**
 * The errors that keep operation `operationName` of a parsed `document` from running: depth over
 * MAX_DEPTH (QUERY_TOO_DEEP), cost over MAX_COST (QUERY_TOO_COSTLY), a page over MAX_PAGE_SIZE
 * (PAGE_SIZE_TOO_LARGE). Empty when it may run.
 */
export function queryLimitErrors(args: {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: Record<string, unknown> | null;
  contextValue?: unknown;
}): readonly GraphQLError[] {
  const rule = createComplexityRule({
    context: (args.contextValue as object | undefined) ?? {},
    variableValues: args.variableValues ?? {},
    operationName: args.operationName,
    validate: ({ depth, complexity }, report) => {
      if (depth > MAX_DEPTH)
        report(limitError(`the query is ${depth} levels deep; the limit is ${MAX_DEPTH}`, 'QUERY_TOO_DEEP'));
      else if (complexity > MAX_COST)
        report(limitError(`the query costs ${complexity}; the limit is ${MAX_COST}`, 'QUERY_TOO_COSTLY'));
    },
  });
  return validate(args.schema, args.document, [rule]);
}

/** graphql-js's parser with the MAX_TOKENS limit; an over-long document is QUERY_TOO_LARGE. */
function parseWithLimit(source: Parameters<typeof parse>[0], options?: Parameters<typeof parse>[1]) {
  try {
    return parse(source, { ...options, maxTokens: MAX_TOKENS });
  } catch (error) {
    if (error instanceof GraphQLError && /more tha[nt] \d+ tokens/.test(error.message))
      throw limitError(`the document has more than ${MAX_TOKENS} tokens`, 'QUERY_TOO_LARGE');
    throw error;
  }
}

/**
 * The Yoga/envelop plugin: parses with the token limit, and refuses operations over the depth,
 * cost or page-size limits before they execute (HTTP and graphql-ws alike).
 */
export function useQueryLimits(): Plugin {
  return {
    onParse({ setParseFn }) {
      setParseFn(parseWithLimit);
    },
    onExecute({ args, setResultAndStopExecution }) {
      const errors = queryLimitErrors(args);
      if (errors.length > 0) setResultAndStopExecution({ errors });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const errors = queryLimitErrors(args);
      if (errors.length > 0) setResultAndStopExecution({ errors });
    },
  };
}
