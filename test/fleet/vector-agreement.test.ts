/**
 * The server's static checks (checkPipeline, run before a config is published) and the stand-in
 * `vector validate` (test/helpers/fake-vector, run as a real child process) must agree: the same
 * pipelines accepted, the same rejected, and for the rule both name, the same verdict. Otherwise
 * the server publishes configs every agent then refuses, or refuses configs Vector would run.
 * `--no-environment`: both sides are static (no data_dir, no health checks).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { checkPipeline } from '../../api/fleet/vector/checks.ts';
import type { ConfigRule } from '../../api/fleet/vector/problems.ts';
import type { VectorConfig } from '../../api/fleet/vector/render.ts';

const VECTOR = path.resolve(import.meta.dirname, '../helpers/fake-vector/vector');

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
          inputs: ['by_level.errors', 'by_level._unmatched', 'in_routing'],
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

/** The rule a line of `vector validate` output is about, from Vector's wording. */
const TOPOLOGY_WORDING: [ConfigRule, RegExp][] = [
  ['duplicate-id', /^More than one component with name "/],
  ['id-contains-dot', /^Component name ".*" should not contain a "\."$/],
  ['no-sources', /^No sources defined in the config\.$/],
  ['no-sinks', /^No sinks defined in the config\.$/],
  ['no-inputs', /^(Sink|Transform) ".*" has no inputs$/],
  ['duplicate-input', /^(Sink|Transform) ".*" has input ".*" duplicated \d+ times$/],
  ['unknown-input', /^Input ".*" for (sink|transform) ".*" doesn't match any components\.$/],
  ['type-mismatch', /^Data type mismatch between /],
  ['cycle', /^Cyclic dependency detected in the chain \[/],
];

function ruleOf(line: string, config: VectorConfig): ConfigRule | 'unclassified' {
  const topology = TOPOLOGY_WORDING.find(([, wording]) => wording.test(line));
  if (topology) return topology[0];
  // serde: a missing or unknown `type` of a component is the type rule; any other field, the options.
  if (/^missing field `type` in `\w+\.[^`.]+`$/.test(line)) return 'unknown-type';
  const variant = /^unknown variant `([^`]*)`, expected one of .* in `(\w+)\.([^`.]+)`$/.exec(line);
  if (variant) {
    const section = config[variant[2] as 'sources' | 'transforms' | 'sinks'];
    return section?.[variant[3]]?.type === variant[1] ? 'unknown-type' : 'invalid-options';
  }
  if (/^(missing field|unknown field|unknown variant) `/.test(line)) return 'invalid-options';
  if (/^(Transform|Sink) ".*": /.test(line)) return 'invalid-options';
  return 'unclassified';
}

/** A message without its location: the `Transform "t": ` prefix and the `` in `sinks.out` `` suffix. */
function wording(message: string): string {
  return message.replace(/^(Transform|Sink) "[^"]*": /, '').replace(/ in `[^`]*`$/, '');
}

interface Verdict {
  code: number | null;
  errors: string[];
}

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-agreement-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

/** Run the stand-in `vector validate --no-environment` on `config` written as YAML. */
async function fakeValidate(name: string, config: VectorConfig): Promise<Verdict> {
  const file = path.join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
  await fs.writeFile(file, stringify(config));
  return new Promise((resolve, reject) => {
    execFile(
      VECTOR,
      ['validate', '--no-environment', file],
      { env: { PATH: process.env.PATH ?? '' }, timeout: 20_000 },
      (error, stdout) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        if (code === null) return reject(error ?? new Error('vector validate did not finish'));
        const errors = stdout
          .split('\n')
          .filter((line) => line.startsWith('x '))
          .map((line) => line.slice(2));
        resolve({ code, errors });
      },
    );
  });
}

describe('checkPipeline and the stand-in vector validate', () => {
  it.each(VALID)('both accept %s', async (name, config) => {
    expect(checkPipeline(config)).toEqual([]);
    expect(await fakeValidate(name, config)).toEqual({ code: 0, errors: [] });
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
    const serverLines = problems.filter((p) => p.rule === rule).map((p) => wording(p.message));
    expect(fakeLines.filter((line) => serverLines.includes(line))).not.toEqual([]);
  });

  it.each(SERVER_ONLY)('only the server rejects (%s) %s', async (rule, name, config) => {
    expect(checkPipeline(config).map((p) => p.rule)).toEqual([rule]);
    expect(await fakeValidate(name, config)).toEqual({ code: 0, errors: [] });
  });

  it('covers every static rule', () => {
    const rules: Record<ConfigRule, true> = {
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
      'reserved-id': true,
      'invalid-vrl': true,
      'reserved-output': true,
      'no-consumers': true,
    };
    expect(new Set(INVALID.map(([rule]) => rule))).toEqual(new Set(Object.keys(rules)));
  });
});
