/**
 * Request limits for /graphql: body size, page size, query depth and query cost. Depth and cost
 * are measured on the operation about to run (with its variables), before any resolver: each
 * field costs 1, and everything below a connection field is multiplied by its page size
 * (`first`/`last`, else DEFAULT_PAGE_SIZE). Introspection (`__schema`, `__type`) is free.
 */
import {
  GraphQLError,
  Kind,
  getNamedType,
  getOperationAST,
  isInterfaceType,
  isObjectType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
export const MAX_DEPTH = 10;
export const MAX_COST = 25_000;
/** Largest HTTP body and WebSocket message /graphql accepts. */
export const MAX_BODY_BYTES = 256 * 1024;

interface OperationMeasure {
  depth: number;
  cost: number;
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

function limitError(message: string, code: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

function pageSize(field: FieldNode, w: Walk): number {
  let size: number | null = null;
  for (const arg of field.arguments ?? []) {
    if (arg.name.value !== 'first' && arg.name.value !== 'last') continue;
    const value =
      arg.value.kind === Kind.INT
        ? Number(arg.value.value)
        : arg.value.kind === Kind.VARIABLE
          ? w.variables[arg.value.name.value]
          : null;
    if (typeof value !== 'number') continue;
    if (value > MAX_PAGE_SIZE) {
      throw limitError(
        `${field.name.value}(${arg.name.value}: ${value}): pages hold at most ${MAX_PAGE_SIZE} items`,
        'PAGE_SIZE_TOO_LARGE',
      );
    }
    size = Math.max(size ?? 0, value);
  }
  return size ?? DEFAULT_PAGE_SIZE;
}

function walk(
  selectionSet: SelectionSetNode,
  parent: GraphQLNamedType | undefined,
  depth: number,
  w: Walk,
  path: string[],
): OperationMeasure {
  let maxDepth = depth;
  let cost = 0;
  const add = (m: OperationMeasure, multiplier = 1) => {
    maxDepth = Math.max(maxDepth, m.depth);
    cost += multiplier * m.cost;
  };
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      const def =
        parent && (isObjectType(parent) || isInterfaceType(parent))
          ? parent.getFields()[selection.name.value]
          : undefined;
      const isConnection = def?.args.some((a) => a.name === 'first') ?? false;
      const child = selection.selectionSet
        ? walk(selection.selectionSet, def ? getNamedType(def.type) : undefined, depth + 1, w, path)
        : { depth: depth + 1, cost: 0 };
      cost += 1;
      add(child, isConnection ? pageSize(selection, w) : 1);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? w.schema.getType(selection.typeCondition.name.value) : parent;
      add(walk(selection.selectionSet, type, depth, w, path));
    } else {
      const name = selection.name.value;
      const fragment = w.fragments[name];
      if (!fragment || path.includes(name)) continue;
      add(
        walk(fragment.selectionSet, w.schema.getType(fragment.typeCondition.name.value), depth, w, [
          ...path,
          name,
        ]),
      );
    }
  }
  return { depth: maxDepth, cost };
}

/**
 * Measure the depth and cost of the operation `operationName` in a validated `document`. Throws a
 * GraphQLError (code PAGE_SIZE_TOO_LARGE) when a page size exceeds MAX_PAGE_SIZE.
 */
function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): OperationMeasure {
  const operation = getOperationAST(document, operationName);
  if (!operation) return { depth: 0, cost: 0 };
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const def of document.definitions)
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
  const root = schema.getRootType(operation.operation) ?? undefined;
  return walk(operation.selectionSet, root, 0, { schema, fragments, variables: variables ?? {} }, []);
}

function check(args: {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: Record<string, unknown> | null;
}): GraphQLError | null {
  try {
    const { depth, cost } = measureOperation(
      args.schema,
      args.document,
      args.operationName,
      args.variableValues,
    );
    if (depth > MAX_DEPTH)
      return limitError(`the query is ${depth} levels deep; the limit is ${MAX_DEPTH}`, 'QUERY_TOO_DEEP');
    if (cost > MAX_COST)
      return limitError(`the query may return ${cost} fields; the limit is ${MAX_COST}`, 'QUERY_TOO_COSTLY');
    return null;
  } catch (error) {
    if (error instanceof GraphQLError) return error;
    throw error;
  }
}

/** The Yoga/envelop plugin refusing operations over the depth, cost or page-size limits. */
export function useQueryLimits(): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
