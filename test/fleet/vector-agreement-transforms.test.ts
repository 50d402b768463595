/**
 * The agreement of vector-agreement.test.ts, for transforms: the server's checkPipeline and the
 * stand-in `vector validate` accept the same transform pipelines and reject the same ones, with
 * the same wording — options, VRL, sample rates, named outputs, reserved route keys — and warn
 * about the same unconsumed outputs. Table-driven cases, then fast-check: random VRL programs
 * (in-process, the server's lint against the stand-in's compile) and random transform pipelines
 * (through the stand-in's CLI).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPipeline } from '../../api/fleet/vector/checks.ts';
import { blockingProblems, type ConfigRule } from '../../api/fleet/vector/problems.ts';
import type { VectorConfig } from '../../api/fleet/vector/render.ts';
import { lintVrl } from '../../api/fleet/vector/vrl.ts';
import { compileVrl, VRL_COMPILE_MARKER } from '../helpers/fake-vector/vrl.mjs';
import { fakeValidator, ruleOf, serverWording, wording } from '../helpers/vector-agreement.ts';

type Transform = { type: string; [option: string]: unknown };

/** `in → t → out`, the sink reading every output of `t`. */
const pipeline = (transform: Transform): VectorConfig => ({
  sources: { in: { type: 'internal_logs' } },
  transforms: { t: { inputs: ['in'], ...transform } },
  sinks: { out: { type: 'blackhole', inputs: ['t*'] } },
});

let validator: Awaited<ReturnType<typeof fakeValidator>>;
beforeAll(async () => {
  validator = await fakeValidator();
});
afterAll(() => validator.cleanup());

const VALID: [string, Transform][] = [
  [
    'remap with templates, raw strings and comments',
    { type: 'remap', source: '# x\n.a = "{{ .b }}" + s\'(\'\n' },
  ],
  [
    'remap from a file, rerouting dropped events',
    { type: 'remap', file: '/etc/a.vrl', reroute_dropped: true },
  ],
  [
    'filter with a datadog_search condition',
    { type: 'filter', condition: { type: 'datadog_search', source: '(a' } },
  ],
  [
    'route with VRL conditions',
    { type: 'route', route: { a: 'exists(.a)', b: { type: 'vrl', source: 'true' } } },
  ],
  ['sample by ratio', { type: 'sample', ratio: 0.25, exclude: '.level == "debug"' }],
  ['throttle', { type: 'throttle', threshold: 10, window_secs: 0.5, key_field: '{{ host }}' }],
  ['dedupe', { type: 'dedupe', fields: { ignore: ['timestamp'] }, time_settings: { max_age_ms: 10 } }],
  ['reduce', { type: 'reduce', merge_strategies: { msg: 'concat_newline' }, starts_when: '.first == true' }],
];

const INVALID: [ConfigRule, string, Transform][] = [
  ['invalid-options', 'a missing required option', { type: 'throttle', threshold: 1 }],
  ['invalid-options', 'a one-of group with two set', { type: 'remap', source: '.', files: ['/a.vrl'] }],
  ['invalid-options', 'a value of the wrong type', { type: 'throttle', threshold: '5', window_secs: 1 }],
  ['invalid-options', 'an array item of the wrong type', { type: 'reduce', group_by: [1] }],
  ['invalid-options', 'an enum value out of range', { type: 'reduce', merge_strategies: { a: 'avg' } }],
  ['invalid-options', 'an unknown nested field', { type: 'dedupe', fields: { match: ['a'], exact: true } }],
  ['invalid-options', 'an unknown top-level field', { type: 'filter', condition: 'true', conditon: 'x' }],
  ['invalid-options', 'a condition without source', { type: 'filter', condition: { type: 'vrl' } }],
  ['invalid-options', 'a condition object without type', { type: 'filter', condition: { source: 'true' } }],
  [
    'invalid-options',
    'an unknown condition type',
    { type: 'filter', condition: { type: 'lua', source: 'x' } },
  ],
  ['invalid-options', 'a sample ratio of zero', { type: 'sample', ratio: 0 }],
  [
    'invalid-options',
    'sample rate_field with ratio_field',
    { type: 'sample', rate: 2, rate_field: 'a', ratio_field: 'b' },
  ],
  ['invalid-vrl', 'an empty program', { type: 'remap', source: '# nothing' }],
  ['invalid-vrl', 'an unknown function', { type: 'remap', source: '.a = parse_jsn!(.b)' }],
  ['invalid-vrl', 'an unclosed bracket in a condition', { type: 'filter', condition: 'includes([1, 2], .a' }],
  ['invalid-vrl', 'an unterminated string in a route', { type: 'route', route: { a: '.a == "x' } }],
  [
    'invalid-vrl',
    'an unclosed template',
    { type: 'sample', rate: 2, exclude: { type: 'vrl', source: '"{{ .a" == ""' } },
  ],
  ['reserved-output', 'a route key _unmatched', { type: 'route', route: { _unmatched: 'true' } }],
];

describe('checkPipeline and the stand-in vector validate, for transforms', () => {
  it.each(VALID)('both accept %s', async (name, transform) => {
    const config = pipeline(transform);
    expect(checkPipeline(config)).toEqual([]);
    expect(await validator.validate(name, config)).toEqual({ code: 0, errors: [], warnings: [] });
  });

  it.each(INVALID)('both reject (%s) %s', async (rule, name, transform) => {
    const config = pipeline(transform);
    const problems = blockingProblems(checkPipeline(config));
    expect(new Set(problems.map((p) => p.rule))).toEqual(new Set([rule]));
    expect(problems.every((p) => p.component === 't' && p.field !== undefined)).toBe(true);
    const fake = await validator.validate(name, config);
    expect(fake.code).toBe(78);
    expect(fake.errors.map((line) => ruleOf(line, config))).toEqual(fake.errors.map(() => rule));
    // Same wording, except the list after "unknown field `x`, expected": the stand-in lists the
    // transform's own options, the server also the common ones (graph, measure_cpu_usage).
    const unlisted = (line: string) => line.replace(/^(unknown field `[^`]*`), expected .*/, '$1');
    const fakeLines = fake.errors.map((line) => unlisted(wording(line)));
    const serverLines = serverWording(problems, rule).map(unlisted);
    expect(fakeLines.filter((line) => serverLines.includes(line))).toEqual(fakeLines);
  });

  it('warn about the same unconsumed outputs', async () => {
    const config: VectorConfig = {
      sources: { in: { type: 'internal_logs' }, spare: { type: 'internal_logs' } },
      transforms: {
        r: { type: 'route', inputs: ['in'], route: { a: 'true', b: 'false' } },
        m: { type: 'remap', inputs: ['r.a'], source: '.', reroute_dropped: true },
      },
      sinks: { out: { type: 'blackhole', inputs: ['m'] } },
    };
    const warnings = checkPipeline(config).filter((p) => p.severity === 'warning');
    const fake = await validator.validate('warnings', config);
    expect(fake.code).toBe(0);
    expect(new Set(fake.warnings)).toEqual(new Set(warnings.map((p) => p.message)));
    expect(warnings).toHaveLength(4);
  });

  it('only the server refuses the agent-reserved id prefix and types a transform cannot pass on', async () => {
    // Vector types a transform's output by what it accepts, so logs through a filter "may be"
    // metrics there; the server follows what flows in and refuses a sink that would get nothing.
    const cases: [ConfigRule, VectorConfig][] = [
      [
        'reserved-id',
        {
          sources: { flotilla_in: { type: 'internal_logs' } },
          sinks: { out: { type: 'blackhole', inputs: ['flotilla_in'] } },
        },
      ],
      [
        'type-mismatch',
        {
          sources: { in: { type: 'internal_logs' } },
          transforms: { f: { type: 'filter', inputs: ['in'], condition: 'true' } },
          sinks: { out: { type: 'prometheus_exporter', inputs: ['f'] } },
        },
      ],
    ];
    for (const [rule, config] of cases) {
      expect(blockingProblems(checkPipeline(config)).map((p) => p.rule)).toEqual([rule]);
      expect(await validator.validate(rule, config)).toMatchObject({ code: 0, errors: [] });
    }
  });

  it(`only the stand-in refuses a program marked ${VRL_COMPILE_MARKER} (an agent refusing VRL)`, async () => {
    const config = pipeline({ type: 'remap', source: `.a = 1 # ${VRL_COMPILE_MARKER}` });
    expect(checkPipeline(config)).toEqual([]);
    const fake = await validator.validate('marker', config);
    expect(fake.code).toBe(78);
    expect(fake.errors).toEqual([
      `Transform "t": error[E000]: the program contains ${VRL_COMPILE_MARKER} (the fake vector's failing compile) in \`source\``,
    ]);
  });
});

/** VRL-ish text: the characters and words both sides treat specially, in any order. */
const vrlText = fc
  .array(
    fc.constantFrom(
      ...[
        '(',
        ')',
        '[',
        ']',
        '{',
        '}',
        '"',
        "s'",
        "r'",
        "'",
        '\\',
        '{{',
        '}}',
        '#',
        '\n',
        ' ',
        '.a',
        '%m',
        'x',
      ],
      ...['del(', 'parse_json!(', 'nope(', 'if (', '.f(', 'true', '= ', '1', "t'", '"a"', '\\"', "\\'"],
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''));

describe('fast-check', () => {
  it('the server lint and the stand-in compile find the same problems in any VRL text', () => {
    fc.assert(
      fc.property(vrlText, (program) => {
        expect(compileVrl(program)).toEqual(lintVrl(program).map((issue) => issue.message));
      }),
      { numRuns: 2000 },
    );
  });

  const transforms: fc.Arbitrary<Transform> = fc.oneof(
    fc.record({ type: fc.constant('remap'), source: vrlText }),
    fc.record({ type: fc.constant('filter'), condition: fc.oneof(vrlText, fc.integer()) }),
    fc.record(
      {
        type: fc.constant('sample'),
        rate: fc.integer({ min: -1, max: 3 }),
        ratio: fc.double({ min: -1, max: 1, noNaN: true }),
      },
      { requiredKeys: ['type'] },
    ),
    fc.record(
      {
        type: fc.constant('throttle'),
        threshold: fc.oneof(fc.nat(5), fc.string()),
        window_secs: fc.float({ noNaN: true, min: 0, max: 2 }),
      },
      { requiredKeys: ['type'] },
    ),
    fc.record({
      type: fc.constant('route'),
      route: fc.dictionary(fc.constantFrom('a', '_unmatched', '_default'), vrlText, { minKeys: 1 }),
    }),
  );

  it('random transform pipelines: the server accepts exactly what the stand-in accepts', async () => {
    await fc.assert(
      fc.asyncProperty(transforms, async (transform) => {
        const config = pipeline(transform);
        const serverAccepts = blockingProblems(checkPipeline(config)).length === 0;
        const fake = await validator.validate(`random-${transform.type}`, config);
        expect({ serverAccepts, fake: fake.errors }).toEqual({
          serverAccepts: fake.code === 0,
          fake: fake.errors,
        });
      }),
      { numRuns: 10 },
    );
  });
});
