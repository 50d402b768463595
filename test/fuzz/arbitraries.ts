/**
 * Hostile input for the fuzz suites (fast-check): strings the database cannot store or that are
 * merely huge, numbers at and past the int32 and float bounds, JSON of any shape and of hostile
 * depth, and variations of a valid object (a field missing, replaced by a wrong type, or extra).
 */
import fc from 'fast-check';
import { INT32_MAX, MAX_JSON_DEPTH } from '../../api/protocol/storable.ts';

/** The seed every fuzz property uses: FUZZ_SEED replays another run, the default keeps CI stable. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261206);

/** fast-check parameters: fixed seed, bounded runs and time; the seed and path are in every failure. */
export function fuzzParams(numRuns: number, timeLimitMs: number): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns, plugins: [fc.interruptAfterTimeLimit(timeLimitMs)] };
}

/**
 * Asserts an async property with {@link fuzzParams}, and returns only once every run it started has
 * finished. At the time limit fast-check stops waiting for the run in progress but cannot stop it: a
 * request still in flight would otherwise write after the next test took its "before" snapshot.
 */
export async function assertFuzz<T>(
  property: fc.IAsyncProperty<T>,
  numRuns: number,
  timeLimitMs: number,
): Promise<void> {
  const running = new Set<Promise<unknown>>();
  const tracked: fc.IAsyncProperty<T> = {
    isAsync: () => true,
    generate: (random, runId) => property.generate(random, runId),
    shrink: (value) => property.shrink(value),
    run: (value) => {
      const run = property.run(value);
      const forget = () => running.delete(run);
      running.add(run);
      run.then(forget, forget);
      return run;
    },
    runBeforeEach: () => property.runBeforeEach(),
    runAfterEach: () => property.runAfterEach(),
  };
  try {
    await fc.assert(tracked, fuzzParams(numRuns, timeLimitMs));
  } finally {
    await Promise.allSettled(running);
  }
}

/** Strings no PostgreSQL text column stores: NUL and unpaired surrogates, alone or inside text. */
export const unstorableString = fc.oneof(
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\udc00\ud800', 'ok\u0000\ud83d'),
  fc.tuple(fc.string(), fc.constantFrom('\u0000', '\ud800', '\udfff')).map(([s, bad]) => s + bad + s),
);

/** Long strings: at, around and far past the bounds the protocol and the schema declare. */
export const hugeString = fc
  .constantFrom(65, 256, 513, 4_097, 16_385, 70_000, 300_000)
  .chain((n) => fc.constantFrom('x', 'é', '😀', ' ').map((c) => c.repeat(n)));

/** Strings that look numeric but are not plain integers, and other number-shaped text. */
export const numericString = fc.constantFrom(
  '',
  '0',
  '-0',
  '00',
  '01',
  '1e300',
  '-1',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '1.5',
  ' 1',
  '1 ',
  '2147483647',
  '2147483648',
  '9999999999',
  '999999999',
  '1000000000',
  '60',
  '61',
  '١٢',
  '+1',
);

/** Any string a client might send: ordinary, empty, whitespace, unstorable, huge or numeric. */
export const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t\n', '%00', '../..', '__proto__', 'constructor') },
  { weight: 2, arbitrary: unstorableString },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: numericString },
);

/** Numbers at and beyond the bounds of int32 columns and of doubles (JSON cannot carry NaN). */
export const hostileNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    1,
    0.5,
    INT32_MAX,
    INT32_MAX + 1,
    -INT32_MAX - 1,
    -INT32_MAX - 2,
    2 ** 53,
    2 ** 53 + 2,
    1e300,
    -1e300,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.EPSILON,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** JSON nested `depth` levels deep, as text (JSON.stringify of such a value would be slow to build). */
export function deepJsonText(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? '['.repeat(depth) + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** A JSON value nested `depth` levels deep. */
export function deepJson(depth: number, kind: 'array' | 'object'): unknown {
  return JSON.parse(deepJsonText(depth, kind));
}

/** Nesting depths around the protocol's limit and far past it (2,000 levels). */
export const hostileDepth = fc.constantFrom(MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 100, 2_000);

/** A deeply nested JSON object or array. */
export const deepValue = fc
  .tuple(hostileDepth, fc.constantFrom<'array' | 'object'>('array', 'object'))
  .map(([depth, kind]) => deepJson(depth, kind));

/** Any JSON value: ordinary, with hostile strings and numbers, or deeply nested. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
);

/** A JSON object (the shape of payloads and options) with hostile content. */
export const hostileObject: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.dictionary(hostileString, hostileJson, { maxKeys: 3 }),
  deepValue.map((v) => ({ nested: v })),
);

/**
 * Variations of the valid object `valid`: as is, a field missing, a field replaced by `field(key)`
 * or by a hostile value of any type, an extra field, or not an object at all.
 */
export function mutatedObject<T extends Record<string, unknown>>(
  valid: fc.Arbitrary<T>,
  field: (key: string) => fc.Arbitrary<unknown> = () => hostileJson,
): fc.Arbitrary<unknown> {
  const pickKey = (obj: T) => fc.constantFrom(...(Object.keys(obj).length ? Object.keys(obj) : ['x']));
  return fc.oneof(
    { weight: 1, arbitrary: valid },
    {
      weight: 2,
      arbitrary: valid.chain((obj) => pickKey(obj).map((key) => omit(obj, key))),
    },
    {
      weight: 5,
      arbitrary: valid.chain((obj) =>
        pickKey(obj).chain((key) =>
          fc.oneof(field(key), hostileJson).map((value) => ({ ...obj, [key]: value })),
        ),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.string({ maxLength: 12 }), hostileJson)
        .map(([obj, key, value]) => ({ ...obj, [key]: value })),
    },
    { weight: 1, arbitrary: hostileJson },
  );
}

function omit<T extends Record<string, unknown>>(obj: T, key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...obj };
  delete copy[key];
  return copy;
}

/** Header values a client may send: printable Latin-1 (what HTTP/1.1 can carry), empty, or huge. */
export const headerValue = fc.oneof(
  fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\t\x20-\x7e]/g, '')),
  fc.constantFrom('', ' ', 'é', '\u00ff\u00fe', 'x'.repeat(8_000)),
);

/** Path segments: ordinary text, malformed and hostile %-escapes, huge, dot segments. */
export const hostileSegment = fc.oneof(
  fc.constantFrom(
    '%',
    '%z',
    '%zz',
    '%E0%A4%A',
    '%C3%28',
    '%ED%A0%80',
    '%F0%9F%98',
    '%00',
    '%2F',
    '%252F',
    '..',
    '.',
    '%2e%2e',
    'releases',
    'enrol',
    '%FF%FE',
    '%uD800',
  ),
  fc.string({ maxLength: 20 }).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))),
  fc.stringMatching(/^[A-Za-z0-9%._~-]{0,30}$/),
  fc.constantFrom(100, 129, 5_000).map((n) => 'a'.repeat(n)),
);
