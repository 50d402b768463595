import { describe, expect, it } from 'vitest';
import { checkPipeline } from '../../api/fleet/vector/checks.ts';
import { blockingProblems } from '../../api/fleet/vector/problems.ts';
import type { VectorConfig } from '../../api/fleet/vector/render.ts';

const source = { type: 'internal_logs' };
const sink = (...inputs: string[]) => ({ type: 'blackhole', inputs });
const remap = (...inputs: string[]) => ({ type: 'remap', inputs, source: '.' });
const errors = (config: VectorConfig) => blockingProblems(checkPipeline(config));

describe('checkPipeline: ids, sections, types', () => {
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
          inputs: ['by_level.errors', 'by_level._unmatched', 'in_routing', 'otel.traces'],
          encoding: { codec: 'json' },
        },
        metrics: { type: 'prometheus_exporter', inputs: ['otel.metrics'] },
      },
    };
    expect(checkPipeline(config)).toEqual([]);
  });

  it('duplicate-id: one id used by two kinds', () => {
    const config = { sources: { x: source, y: source }, sinks: { x: sink('y') } };
    expect(errors(config)).toEqual([
      {
        rule: 'duplicate-id',
        severity: 'error',
        component: 'x',
        message: 'More than one component with name "x" (source, sink).',
      },
    ]);
  });

  it('id-contains-dot: the dot is reserved for named outputs', () => {
    const config = { sources: { 'a.b': source }, sinks: { out: sink('a.b') } };
    expect(errors(config)).toEqual([
      {
        rule: 'id-contains-dot',
        severity: 'error',
        component: 'a.b',
        message: 'Component name "a.b" should not contain a "."',
      },
    ]);
  });

  it('reserved-id: ids beginning with flotilla_ belong to the agent, in every section', () => {
    const config = {
      sources: { flotilla_in: source },
      transforms: { flotilla_t: remap('flotilla_in') },
      sinks: { flotilla_out: sink('flotilla_t') },
    };
    const problems = errors(config);
    expect(problems.map((p) => [p.rule, p.component])).toEqual([
      ['reserved-id', 'flotilla_in'],
      ['reserved-id', 'flotilla_t'],
      ['reserved-id', 'flotilla_out'],
    ]);
    expect(problems[0].message).toBe(
      'Component name "flotilla_in" begins with "flotilla_", which is reserved for the agent\'s own components',
    );
    expect(errors({ sources: { my_flotilla_in: source }, sinks: { out: sink('my_flotilla_in') } })).toEqual(
      [],
    );
  });

  it('no-sources: a config without sources', () => {
    // A sink cannot read anything without a source, so its input is unresolvable as well.
    const problems = checkPipeline({ sinks: { out: sink('in') } });
    expect(problems.map((p) => p.rule)).toEqual(['no-sources', 'unknown-input']);
    expect(problems[0]).toEqual({
      rule: 'no-sources',
      severity: 'error',
      message: 'No sources defined in the config.',
    });
  });

  it('no-sinks: a config without sinks (the unconsumed source is a warning too)', () => {
    expect(checkPipeline({ sources: { in: source } })).toEqual([
      { rule: 'no-sinks', severity: 'error', message: 'No sinks defined in the config.' },
      {
        rule: 'no-consumers',
        severity: 'warning',
        component: 'in',
        message: 'Source "in" has no consumers',
      },
    ]);
  });

  it('unknown-type: a component type the catalogue does not know, or none', () => {
    const problems = checkPipeline({
      sources: { in: source },
      transforms: { t: { type: 'log_to_nowhere', inputs: ['in'] } },
      sinks: { out: { type: 'nope', inputs: ['t'] } },
    });
    expect(problems.map((p) => [p.rule, p.component, p.field])).toEqual([
      ['unknown-type', 't', 'type'],
      ['unknown-type', 'out', 'type'],
    ]);
    expect(problems[0].message).toMatch(
      /^unknown variant `log_to_nowhere`, expected one of `dedupe`, .* in `transforms\.t`$/,
    );
    const untyped = JSON.parse('{"inputs": ["in"]}') as typeof source;
    expect(errors({ sources: { in: source }, sinks: { out: untyped } })).toEqual([
      {
        rule: 'unknown-type',
        severity: 'error',
        component: 'out',
        field: 'type',
        message: 'missing field `type` in `sinks.out`',
      },
    ]);
  });

  it('no-consumers: a warning per unconsumed source or transform output, naming the option behind a named output', () => {
    const config = {
      sources: { in: source, spare: source },
      transforms: {
        r: { type: 'route', inputs: ['in'], route: { errors: '.level == "error"', rest: 'true' } },
        m: { type: 'remap', inputs: ['r.errors'], source: '.', reroute_dropped: true },
      },
      sinks: { out: sink('m') },
    };
    const warning = { rule: 'no-consumers', severity: 'warning' };
    expect(checkPipeline(config)).toEqual([
      { ...warning, component: 'spare', message: 'Source "spare" has no consumers' },
      {
        ...warning,
        component: 'm',
        field: 'reroute_dropped',
        message: 'Transform "m.dropped" has no consumers',
      },
      { ...warning, component: 'r', field: 'route.rest', message: 'Transform "r.rest" has no consumers' },
      {
        ...warning,
        component: 'r',
        field: 'reroute_unmatched',
        message: 'Transform "r._unmatched" has no consumers',
      },
    ]);
  });
});
