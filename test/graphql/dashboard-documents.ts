/**
 * Every GraphQL document the dashboard sends (the graphql(`…`) calls in web/src, as codegen finds
 * them): each operation with the fragments it uses, as codegen sends it, and the heaviest
 * variables it may send (page sizes at MAX_PAGE_SIZE, other required variables a placeholder).
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  Kind,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  parse,
  typeFromAST,
  visit,
  type ASTNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { MAX_PAGE_SIZE } from '../../api/graphql/limits.ts';

const WEB_SRC = path.resolve(import.meta.dirname, '../../web/src');

export interface DashboardOperation {
  name: string;
  document: DocumentNode;
  variables: Record<string, unknown>;
}

function placeholder(type: GraphQLInputType, name: string): unknown {
  const inner = getNullableType(type);
  if (isListType(inner)) return [placeholder(inner.ofType, name)];
  if (isEnumType(inner)) return inner.getValues()[0].value;
  if (isInputObjectType(inner)) {
    const fields = Object.values(inner.getFields()).filter((f) => isNonNullType(f.type));
    return Object.fromEntries(fields.map((f) => [f.name, placeholder(f.type, f.name)]));
  }
  if (isScalarType(inner)) {
    if (inner.name === 'Int') return name === 'first' || name === 'last' ? MAX_PAGE_SIZE : 1;
    if (inner.name === 'Float') return 1;
    if (inner.name === 'Boolean') return true;
    if (inner.name === 'DateTime') return '2026-01-01T00:00:00.000Z';
    if (inner.name === 'JSON') return {};
    if (inner.name === 'ID') return '00000000-0000-4000-8000-000000000000';
    return 'x';
  }
  throw new Error(`no placeholder for ${String(type)}`);
}

/** The fragments `node` spreads, directly or through other fragments. */
function usedFragments(node: ASTNode, all: Map<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const found = new Map<string, FragmentDefinitionNode>();
  const walk = (n: ASTNode) =>
    visit(n, {
      FragmentSpread(spread) {
        const fragment = all.get(spread.name.value);
        if (!fragment || found.has(fragment.name.value)) return;
        found.set(fragment.name.value, fragment);
        walk(fragment);
      },
    });
  walk(node);
  return [...found.values()];
}

/** Every operation in web/src with the fragments it uses, and its heaviest variables. */
export function dashboardOperations(schema: GraphQLSchema): DashboardOperation[] {
  const files = fs
    .readdirSync(WEB_SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|vue)$/.test(f))
    .map((f) => fs.readFileSync(path.join(WEB_SRC, f), 'utf8'));
  const definitions = files.flatMap((text) =>
    [...text.matchAll(/graphql\(\s*`([^`]*)`\s*\)/g)].flatMap((m) => parse(m[1]).definitions),
  );
  const fragments = new Map(
    definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  const operations = definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  return operations.map((operation) => {
    const variables: Record<string, unknown> = {};
    for (const v of operation.variableDefinitions ?? []) {
      const type = typeFromAST(schema, v.type) as GraphQLInputType | undefined;
      const name = v.variable.name.value;
      if (type && (isNonNullType(type) || name === 'first' || name === 'last'))
        variables[name] = placeholder(type, name);
    }
    return {
      name: operation.name?.value ?? '(anonymous)',
      document: { kind: Kind.DOCUMENT, definitions: [operation, ...usedFragments(operation, fragments)] },
      variables,
    };
  });
}
