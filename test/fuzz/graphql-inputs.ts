/**
 * Arbitraries for GraphQL variables, derived from the schema itself: for an input type, values
 * that fit it (so some requests get past coercion into the fleet), values that almost fit (hostile
 * strings and numbers, a field missing or extra) and values of the wrong type. Ids come from a pool
 * of real rows, so mutations reach the rows they name.
 */
import fc from 'fast-check';
import { isEnumType, isInputObjectType, isListType, isNonNullType, type GraphQLInputType } from 'graphql';
import { INT32_MAX } from '../../api/protocol/storable.ts';
import { hostileJson, hostileNumber, hostileObject, hostileString } from './arbitraries.ts';

/** Plausible values by field name, so validation is reached beyond the first field. */
function plausible(field: string): fc.Arbitrary<unknown> | undefined {
  switch (field) {
    case 'email':
      return fc.stringMatching(/^[a-z]{1,8}@example\.com$/);
    case 'slug':
      return fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
    case 'password':
      return fc.string({ minLength: 12, maxLength: 20 });
    case 'name':
    case 'description':
      return fc.string({ minLength: 1, maxLength: 20 });
    case 'type':
      return fc.constantFrom(
        'demo_logs',
        'file',
        'console',
        'kubernetes_logs',
        'blackhole',
        'http_server',
        'x',
      );
    case 'maxUses':
    case 'ttlSeconds':
    case 'ttlDays':
      return fc.integer({ min: 1, max: 1000 });
    case 'payload':
      return fc.constantFrom({ targetVersion: '1.0.0' }, { targetVersion: '9.9.9' });
    default:
      return undefined;
  }
}

/**
 * A value for a variable of `type`: mostly one of that type with hostile content (long, unstorable,
 * boundary values), else the same with one top-level field replaced by any JSON, null or removed,
 * or any JSON at all (these test coercion).
 */
export function inputValue(
  type: GraphQLInputType,
  ids: readonly string[],
  field = '',
): fc.Arbitrary<unknown> {
  const typed = typedValue(type, ids, field, 0);
  return fc.oneof(
    { weight: 12, arbitrary: typed },
    {
      weight: 3,
      arbitrary: typed.chain((value) => {
        if (!value || typeof value !== 'object' || Array.isArray(value)) return fc.constant(value);
        const keys = Object.keys(value);
        return fc
          .tuple(fc.constantFrom(...keys, 'extra'), fc.option(hostileJson, { nil: undefined, freq: 4 }))
          .map(([key, replacement]) => ({ ...value, [key]: replacement }));
      }),
    },
    { weight: 1, arbitrary: hostileJson },
  );
}

/** A value that fits `type` (GraphQL coerces it), with hostile content where the type allows. */
function typedValue(
  type: GraphQLInputType,
  ids: readonly string[],
  field: string,
  depth: number,
): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return exactValue(type.ofType, ids, field, depth);
  return fc.option(exactValue(type, ids, field, depth), { nil: null, freq: 5 });
}

function exactValue(
  type: GraphQLInputType,
  ids: readonly string[],
  field: string,
  depth: number,
): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return exactValue(type.ofType, ids, field, depth);
  if (isListType(type)) {
    return fc.array(typedValue(type.ofType, ids, field, depth + 1), { maxLength: 3 });
  }
  if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((v) => v.value as unknown));
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    if (depth > 3) return fc.constant({});
    return fc.record(
      Object.fromEntries(fields.map((f) => [f.name, typedValue(f.type, ids, f.name, depth + 1)])),
      { requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name) },
    );
  }
  const known = plausible(field);
  switch (type.name) {
    case 'ID':
      return fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...ids) },
        { weight: 1, arbitrary: fc.uuid() },
        { weight: 2, arbitrary: hostileString },
      );
    case 'Int':
      return fc.oneof(
        { weight: 3, arbitrary: known ?? fc.integer({ min: -2, max: 100 }) },
        { weight: 2, arbitrary: fc.constantFrom(0, -1, -0, INT32_MAX, -INT32_MAX - 1) },
        { weight: 1, arbitrary: fc.integer({ min: -INT32_MAX - 1, max: INT32_MAX }) },
      );
    case 'Float':
      return hostileNumber;
    case 'Boolean':
      return fc.boolean();
    case 'JSON':
      return fc.oneof(
        { weight: 2, arbitrary: known ?? hostileObject },
        { weight: 2, arbitrary: hostileObject },
        { weight: 1, arbitrary: hostileJson },
      );
    case 'DateTime':
      return fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.constantFrom(
          '2026-13-40T99:00:00Z',
          '-271821-04-20T00:00:00.000Z',
          '+275760-09-13T00:00:00.001Z',
          '',
        ),
        hostileString,
      );
    default:
      return known
        ? fc.oneof({ weight: 2, arbitrary: known }, { weight: 1, arbitrary: hostileString })
        : hostileString;
  }
}
