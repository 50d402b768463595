/**
 * The committed contract: codegen/schema.graphql must equal the printed, sorted schema (run
 * `npm run schema:print` after changing api/graphql), every root field states its scopes, and no
 * subscription reaches a type that depends on the caller.
 */
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { getNamedType, isInterfaceType, isObjectType, isUnionType, type GraphQLObjectType } from 'graphql';
import { schema } from '../../api/graphql/schema/index.ts';
import { SCHEMA_FILE, printedSchema } from '../../codegen/print-schema.ts';

const rootTypes = (): GraphQLObjectType[] =>
  [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(
    (t) => t !== null && t !== undefined,
  );

describe('schema', () => {
  it('matches codegen/schema.graphql (run npm run schema:print when this fails)', async () => {
    const committed = await fs.readFile(SCHEMA_FILE, 'utf8');
    expect(committed).toBe(printedSchema());
  });

  it('lets no subscription reach a type that depends on the caller (executions are shared by role)', () => {
    // api/graphql/shared-subscriptions.ts: sockets with the same role and operation share one
    // execution, so nothing a subscription can select may resolve from who the caller is.
    const callerTypes = ['Viewer', 'LoginPayload'];
    const reachable = (root: string) => {
      const reached = new Set<string>();
      const visit = (name: string) => {
        if (reached.has(name)) return;
        reached.add(name);
        const type = schema.getType(name);
        if (isObjectType(type) || isInterfaceType(type))
          for (const field of Object.values(type.getFields())) visit(getNamedType(field.type).name);
        if (isInterfaceType(type) || isUnionType(type))
          for (const member of schema.getPossibleTypes(type)) visit(member.name);
      };
      visit(root);
      return reached;
    };
    // The walk finds them where they are (Query.viewer, Mutation.login) ...
    expect(reachable(schema.getQueryType()!.name).has('Viewer')).toBe(true);
    expect(reachable(schema.getMutationType()!.name).has('LoginPayload')).toBe(true);
    // ... and not from any subscription.
    const reached = reachable(schema.getSubscriptionType()!.name);
    expect(reached.size).toBeGreaterThan(10);
    expect(callerTypes.filter((name) => reached.has(name))).toEqual([]);
  });

  it('declares authScopes on every query, mutation and subscription field', () => {
    const missing = rootTypes().flatMap((type) =>
      Object.values(type.getFields())
        .filter(
          (field) => !(field.extensions.pothosOptions as { authScopes?: unknown } | undefined)?.authScopes,
        )
        .map((field) => `${type.name}.${field.name}`),
    );
    expect(missing).toEqual([]);
  });

  it('gives every mutation one required input argument named input of type <Name>Input', () => {
    const wrong = Object.values(schema.getMutationType()!.getFields())
      .filter(
        (f) =>
          f.args.length !== 1 ||
          f.args[0].name !== 'input' ||
          String(f.args[0].type) !== `${f.name[0].toUpperCase()}${f.name.slice(1)}Input!`,
      )
      .map((f) => f.name);
    expect(wrong).toEqual([]);
  });
});
