/**
 * The config poll's hand-written query parser (api/rest/poll-query.ts) against the reference
 * (URLSearchParams + the protocol's ConfigQuery): the same value or the same error for every query.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfigQuery, parseSlowly } from '../../api/rest/poll-query.ts';
import { fuzzParams } from '../fuzz/arbitraries.ts';

function outcome(parse: (raw: string) => unknown, raw: string): unknown {
  try {
    return { ok: parse(raw) };
  } catch (error) {
    return { error: (error as Error).message, code: (error as { code?: string }).code };
  }
}

const part = fc.oneof(
  fc.constantFrom('since', 'wait', 'sin%63e', 'wait+', 'x', '', 'since=', 'wait='),
  fc.string({ maxLength: 6 }),
);
const value = fc.oneof(
  fc.integer({ min: 0, max: 1_999_999_999 }).map(String),
  fc.constantFrom(
    '0',
    '1',
    '60',
    '61',
    '00',
    '007',
    '-1',
    '1e3',
    ' 1',
    '1 ',
    '%31',
    '+1',
    '',
    '9'.repeat(10),
  ),
  fc.string({ maxLength: 4 }),
);
const query = fc
  .array(fc.tuple(part, fc.option(value, { nil: undefined })), { maxLength: 4 })
  .map((pairs) => pairs.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join('&'));

describe('config poll query', () => {
  it.each([
    'since=0',
    'since=42&wait=50',
    'wait=60&since=7',
    'since=1&since=2',
    'since=1&wait=0',
    'since=1&wait=61',
    'since=1&wait=',
    'since=',
    'since',
    '',
    'since=1234567890',
    'since=%31',
    'since=1&x=2&wait=5',
    '&since=3&',
  ])('%j parses as the reference does', (raw) => {
    expect(outcome(parseConfigQuery, raw)).toEqual(outcome(parseSlowly, raw));
  });

  it('agrees with the reference on generated queries', () => {
    fc.assert(
      fc.property(query, (raw) => {
        expect(outcome(parseConfigQuery, raw)).toEqual(outcome(parseSlowly, raw));
      }),
      fuzzParams(500, 10_000),
    );
  });
});
