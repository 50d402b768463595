/**
 * The server's static checks (checkPipeline, run before a config is published) and the stand-in
 * `vector validate` (test/helpers/fake-vector, run as a real child process) must agree: the same
 * pipelines accepted, the same rejected, and for the rule both name, the same verdict. Otherwise
 * the server publishes configs every agent then refuses, or refuses configs Vector would run.
 * `--no-environment`: both sides are static (no data_dir, no health checks).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPipeline } from '../../api/fleet/vector/checks.ts';
import type { ConfigRule } from '../../api/fleet/vector/problems.ts';
import type { VectorConfig } from '../../api/fleet/vector/render.ts';
import { fakeValidator, ruleOf, serverWording, type Verdict, wording } from '../helpers/vector-agreement.ts';

const source = { type: 'internal_logs' };
const sink = (...inputs: string[]) => ({ type: 'blackhole', inputs });
const remap = (...inputs: string[]) => ({ type: 'remap', inputs, source: '.' });
/** A component without `type`, which VectorConfig (rightly) cannot express. */
const untyped = JSON.parse('{}') as typeof source;

const VALID: [string, VectorConfig][] = [
  ['one source into one sink', { sources: { in: source }, sinks: { out: sink('in') } }],
  [
    'named outputs, wildcards, route and remap',
    {
      sources: {
        otel: { type: 'opentelemetry', grpc: { address: '0.0.0.0:4317' }, http: { address: '0.0.0.0:4318' } },
        app_1: source,
        app_2: source,
        in: { type: 'syslog', mode: 'udp', address: '0.0.0.0:514' },
      },
      transforms: {
        by_level: { type: 'route', inputs: ['app*'], route: { errors: '.level == "error"' } },
        in_routing: { type: 'remap', inputs: ['in', 'otel.logs'], source: '.index = "main"\n' },
      },
      sinks: {
        out: {
          type: 'console',
          inputs: ['by_level.errors', 'by_level._unmatched', 'in_routing', 'otel.traces'],
          encoding: { codec: 'json' },
        },
        metrics: { type: 'prometheus_exporter', inputs: ['otel.metrics'] },
      },
    },
  ],
  [
    'a chain of transforms',
    {
      sources: { in: { type: 'file', include: ['/var/log/*.log'] } },
      transforms: { a: remap('in'), b: remap('a') },
      sinks: { out: { type: 'console', inputs: ['b'], encoding: { codec: 'text' } } },
    },
  ],
  [
    'metrics into a metrics sink',
    {
      sources: { m: { type: 'internal_metrics' } },
      sinks: { prom: { type: 'prometheus_exporter', inputs: ['m'] } },
    },
  ],
];

/** Each pipeline breaks `rule`, which both sides must report. */
const INVALID: [ConfigRule, string, VectorConfig][] = [
  [
    'duplicate-id',
    'one id used by two kinds',
    { sources: { x: source, y: source }, sinks: { x: sink('y') } },
  ],
  ['id-contains-dot', 'a dot in an id', { sources: { 'a.b': source }, sinks: { out: sink('a.b') } }],
  ['no-sources', 'no sources', { sinks: { out: sink('in') } }],
  ['no-sinks', 'no sinks', { sources: { in: source } }],
  [
    'unknown-type',
    'an unknown sink type',
    { sources: { in: source }, sinks: { out: { type: 'nope', inputs: ['in'] } } },
  ],
  ['unknown-type', 'a component without a type', { sources: { in: untyped }, sinks: { out: sink('in') } }],
  [
    'invalid-options',
    'a sink missing a required nested option',
    { sources: { in: source }, sinks: { out: { type: 'console', inputs: ['in'], encoding: {} } } },
  ],
  [
    'invalid-options',
    'a transform missing its program',
    {
      sources: { in: source },
      transforms: { t: { type: 'remap', inputs: ['in'] } },
      sinks: { out: sink('t') },
    },
  ],
  [
    'invalid-options',
    'an enum option out of range',
    {
      sources: { in: { type: 'syslog', mode: 'carrier_pigeon', address: '0.0.0.0:514' } },
      sinks: { out: sink('in') },
    },
  ],
  ['no-inputs', 'a sink without inputs', { sources: { in: source }, sinks: { out: sink() } }],
  [
    'no-inputs',
    'a transform without inputs',
    { sources: { in: source }, transforms: { t: remap() }, sinks: { out: sink('in', 't') } },
  ],
  ['duplicate-input', 'an input listed twice', { sources: { in: source }, sinks: { out: sink('in', 'in') } }],
  ['unknown-input', 'an input naming nothing', { sources: { in: source }, sinks: { out: sink('nope') } }],
  [
    'unknown-input',
    'a wildcard matching nothing',
    { sources: { in: source }, sinks: { out: sink('in', 'app*') } },
  ],
  [
    'unknown-input',
    'a named output the component does not have',
    { sources: { in: source }, transforms: { t: remap('in') }, sinks: { out: sink('t.nope') } },
  ],
  [
    'type-mismatch',
    'logs into a metrics-only sink',
    { sources: { in: source }, sinks: { out: { type: 'prometheus_exporter', inputs: ['in'] } } },
  ],
  [
    'cycle',
    'transforms reading each other, feeding a sink',
    {
      sources: { in: source },
      transforms: { a: remap('b'), b: remap('a') },
      sinks: { out: sink('in', 'a') },
    },
  ],
];

/**
 * Where the two differ today: the server refuses these, the stand-in (like Vector's
 * Graph::check_for_cycles, which walks upstream from the sinks) accepts them. Listed so that a
 * change on either side is noticed; the server being stricter here refuses only pipelines whose
 * cycle feeds nothing.
 */
const SERVER_ONLY: [ConfigRule, string, VectorConfig][] = [
  [
    'cycle',
    'transforms reading each other, feeding no sink',
    { sources: { in: source }, transforms: { a: remap('b'), b: remap('a') }, sinks: { out: sink('in') } },
  ],
];

let validator: Awaited<ReturnType<typeof fakeValidator>>;
beforeAll(async () => {
  validator = await fakeValidator();
});
afterAll(() => validator.cleanup());
const fakeValidate = (name: string, config: VectorConfig): Promise<Verdict> =>
  validator.validate(name, config);

describe('checkPipeline and the stand-in vector validate', () => {
  it.each(VALID)('both accept %s', async (name, config) => {
    expect(checkPipeline(config)).toEqual([]);
    expect(await fakeValidate(name, config)).toEqual({ code: 0, errors: [], warnings: [] });
  });

  it.each(INVALID)('both reject (%s) %s', async (rule, name, config) => {
    const problems = checkPipeline(config);
    const serverRules = new Set(problems.map((p) => p.rule));
    expect(serverRules).toContain(rule);

    const fake = await fakeValidate(name, config);
    expect(fake.code).toBe(78);
    const fakeRules = fake.errors.map((line) => ruleOf(line, config));
    expect(fakeRules).toContain(rule);
    // Vector stops at the first deserialization error, so it may name fewer rules than the
    // server, never one the server missed.
    for (const fakeRule of fakeRules) expect(serverRules).toContain(fakeRule);
    // Where both name the rule, they say the same thing (the server quotes Vector's wording), up to
    // where they locate it: build checks are prefixed `Transform "t": ` by Vector and suffixed
    // `in \`transforms.t\`` by the server; serde value errors name the field on one side and its
    // object on the other.
    const fakeLines = fake.errors.filter((line) => ruleOf(line, config) === rule).map(wording);
    const serverLines = serverWording(problems, rule);
    expect(fakeLines.filter((line) => serverLines.includes(line))).not.toEqual([]);
  });

  it.each(SERVER_ONLY)('only the server rejects (%s) %s', async (rule, name, config) => {
    expect(checkPipeline(config).map((p) => p.rule)).toEqual([rule]);
    expect(await fakeValidate(name, config)).toMatchObject({ code: 0, errors: [] });
  });

  it('covers every static rule', () => {
    const rules: Record<ConfigRule, boolean> = {
      'duplicate-id': true,
      'id-contains-dot': true,
      'no-sources': true,
      'no-sinks': true,
      'unknown-type': true,
      'invalid-options': true,
      'no-inputs': true,
      'duplicate-input': true,
      'unknown-input': true,
      'type-mismatch': true,
      cycle: true,
      // vector-agreement-transforms.test.ts covers these:
      'reserved-id': false,
      'invalid-vrl': false,
      'reserved-output': false,
      'no-consumers': false,
    };
    const here = Object.entries(rules).filter(([, covered]) => covered);
    expect(new Set(INVALID.map(([rule]) => rule))).toEqual(new Set(here.map(([rule]) => rule)));
  });
});
