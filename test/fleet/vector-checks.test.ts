import { describe, expect, it } from 'vitest';
import { checkPipeline } from '../../api/fleet/vector/checks.ts';
import type { VectorConfig } from '../../api/fleet/vector/render.ts';

const source = { type: 'internal_logs' };
const sink = (...inputs: string[]) => ({ type: 'blackhole', inputs });
const remap = (...inputs: string[]) => ({ type: 'remap', inputs, source: '.' });

describe('checkPipeline', () => {
  it('finds nothing wrong with a valid pipeline using named outputs and wildcards', () => {
    const config: VectorConfig = {
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
    };
    expect(checkPipeline(config)).toEqual([]);
  });

  it('duplicate-id: one id used by two kinds', () => {
    const config = { sources: { x: source, y: source }, sinks: { x: sink('y') } };
    expect(checkPipeline(config)).toEqual([
      {
        rule: 'duplicate-id',
        component: 'x',
        message: 'More than one component with name "x" (source, sink).',
      },
    ]);
  });

  it('id-contains-dot: the dot is reserved for named outputs', () => {
    const config = { sources: { 'a.b': source }, sinks: { out: sink('a.b') } };
    expect(checkPipeline(config)).toEqual([
      { rule: 'id-contains-dot', component: 'a.b', message: 'Component name "a.b" should not contain a "."' },
    ]);
  });

  it('no-sources: a config without sources', () => {
    // A sink cannot read anything without a source, so its input is unresolvable as well.
    const problems = checkPipeline({ sinks: { out: sink('in') } });
    expect(problems.map((p) => p.rule)).toEqual(['no-sources', 'unknown-input']);
    expect(problems[0]).toEqual({ rule: 'no-sources', message: 'No sources defined in the config.' });
  });

  it('no-sinks: a config without sinks', () => {
    expect(checkPipeline({ sources: { in: source } })).toEqual([
      { rule: 'no-sinks', message: 'No sinks defined in the config.' },
    ]);
  });

  it('unknown-type: a component type the catalogue does not know', () => {
    const problems = checkPipeline({
      sources: { in: source },
      sinks: { out: { type: 'nope', inputs: ['in'] } },
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ rule: 'unknown-type', component: 'out' });
    expect(problems[0].message).toMatch(
      /^unknown variant `nope`, expected one of `aws_s3`, .* in `sinks\.out`$/,
    );
  });

  it('invalid-options: required options of sinks (fully validated) and transforms', () => {
    const config = {
      sources: { in: source },
      transforms: { t: { type: 'remap', inputs: ['in'] } },
      sinks: { out: { type: 'console', inputs: ['t'], encoding: {} } },
    };
    expect(checkPipeline(config)).toEqual([
      {
        rule: 'invalid-options',
        component: 't',
        message: 'must provide exactly one of `source` or `file` or `files` configuration in `transforms.t`',
      },
      { rule: 'invalid-options', component: 'out', message: 'missing field `codec` in `sinks.out.encoding`' },
    ]);
  });

  it('no-inputs: a sink with an empty inputs list', () => {
    expect(checkPipeline({ sources: { in: source }, sinks: { out: sink() } })).toEqual([
      { rule: 'no-inputs', component: 'out', message: 'Sink "out" has no inputs' },
    ]);
  });

  it('duplicate-input: the same input listed twice', () => {
    expect(checkPipeline({ sources: { in: source }, sinks: { out: sink('in', 'in') } })).toEqual([
      { rule: 'duplicate-input', component: 'out', message: 'Sink "out" has input "in" duplicated 2 times' },
    ]);
  });

  it('unknown-input: a name or a wildcard that matches no component output', () => {
    const config = {
      sources: {
        in: source,
        otel: { type: 'opentelemetry', grpc: { address: ':1' }, http: { address: ':2' } },
      },
    };
    expect(checkPipeline({ ...config, sinks: { out: sink('in', 'otel', 'app*') } })).toEqual([
      {
        rule: 'unknown-input',
        component: 'out',
        message: 'Input "otel" for sink "out" doesn\'t match any components.',
      },
      {
        rule: 'unknown-input',
        component: 'out',
        message: 'Input "app*" for sink "out" doesn\'t match any components.',
      },
    ]);
  });

  it('type-mismatch: logs into a metrics-only sink', () => {
    const config = {
      sources: { in: source },
      sinks: { out: { type: 'prometheus_exporter', inputs: ['in'] } },
    };
    expect(checkPipeline(config)).toEqual([
      {
        rule: 'type-mismatch',
        component: 'out',
        message: 'Data type mismatch between in (["Log"]) and out (["Metric"])',
      },
    ]);
  });

  it('cycle: transforms reading each other', () => {
    const config = {
      sources: { in: source },
      transforms: { a: remap('b'), b: remap('a') },
      sinks: { out: sink('in') },
    };
    expect(checkPipeline(config)).toEqual([
      { rule: 'cycle', component: 'a', message: 'Cyclic dependency detected in the chain [ a -> b -> a ]' },
    ]);
  });
});
