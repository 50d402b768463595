/**
 * The committed contract: codegen/schema.graphql must equal the printed, sorted schema (run
 * `npm run schema:print` after changing api/graphql), and every root field states its scopes.
 */
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { GraphQLObjectType } from 'graphql';
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
