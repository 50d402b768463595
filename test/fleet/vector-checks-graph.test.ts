import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkPipeline } from '../../api/fleet/vector/checks.ts';
import { blockingProblems } from '../../api/fleet/vector/problems.ts';
import type { VectorConfig } from '../../api/fleet/vector/render.ts';

const source = { type: 'internal_logs' };
const sink = (...inputs: string[]) => ({ type: 'blackhole', inputs });
const remap = (...inputs: string[]) => ({ type: 'remap', inputs, source: '.' });
const errors = (config: VectorConfig) => blockingProblems(checkPipeline(config));
const atInputs = { severity: 'error', field: 'inputs' };

describe('checkPipeline: the graph', () => {
  it('no-inputs: a sink or transform with an empty inputs list', () => {
    expect(
      errors({ sources: { in: source }, transforms: { t: remap() }, sinks: { out: sink('in', 't') } }),
    ).toEqual([{ rule: 'no-inputs', ...atInputs, component: 't', message: 'Transform "t" has no inputs' }]);
  });

  it('duplicate-input: the same input listed twice', () => {
    expect(errors({ sources: { in: source }, sinks: { out: sink('in', 'in') } })).toEqual([
      {
        rule: 'duplicate-input',
        ...atInputs,
        component: 'out',
        message: 'Sink "out" has input "in" duplicated 2 times',
      },
    ]);
  });

  it('unknown-input: a name, a wildcard or a named output that matches nothing', () => {
    const config = {
      sources: {
        in: source,
        otel: { type: 'opentelemetry', grpc: { address: ':1' }, http: { address: ':2' } },
      },
      transforms: { t: remap('in') },
    };
    expect(errors({ ...config, sinks: { out: sink('otel.logs', 'otel', 'app*', 't.dropped') } })).toEqual([
      {
        rule: 'unknown-input',
        ...atInputs,
        component: 'out',
        message: 'Input "otel" for sink "out" doesn\'t match any components.',
      },
      {
        rule: 'unknown-input',
        ...atInputs,
        component: 'out',
        message: 'Input "app*" for sink "out" doesn\'t match any components.',
      },
      {
        rule: 'unknown-input',
        ...atInputs,
        component: 'out',
        message: 'Input "t.dropped" for sink "out" doesn\'t match any components.',
      },
    ]);
  });

  it('inputs must be a list of strings; a glob with a range out of order stays a plain id', () => {
    const bad = (inputs: unknown) => ({ type: 'blackhole', inputs }) as { type: string; inputs: string[] };
    expect(errors({ sources: { in: source }, sinks: { out: bad('in') } })).toEqual([
      {
        rule: 'invalid-options',
        ...atInputs,
        component: 'out',
        message: 'invalid type: string "in", expected a sequence in `sinks.out.inputs`',
      },
      { rule: 'no-inputs', ...atInputs, component: 'out', message: 'Sink "out" has no inputs' },
    ]);
    expect(errors({ sources: { in: source }, sinks: { out: bad(['in', 3]) } }).map((p) => p.message)).toEqual(
      ['invalid type: integer `3`, expected a string in `sinks.out.inputs`'],
    );
    expect(
      errors({ sources: { in: source }, sinks: { out: sink('in', '[z-a]') } }).map((p) => p.message),
    ).toEqual(['Input "[z-a]" for sink "out" doesn\'t match any components.']);
  });

  it('named outputs: route.<key> and route._unmatched (unless reroute_unmatched: false), remap.dropped only with reroute_dropped', () => {
    const transforms = {
      r: { type: 'route', inputs: ['in'], route: { a: 'true' } },
      m: { type: 'remap', inputs: ['in'], source: '.', reroute_dropped: true },
    };
    const ok = {
      sources: { in: source },
      transforms,
      sinks: { out: sink('r.a', 'r._unmatched', 'm', 'm.dropped') },
    };
    expect(checkPipeline(ok)).toEqual([]);
    const bare = {
      sources: { in: source },
      transforms: { ...transforms, r: { ...transforms.r, reroute_unmatched: false }, m: remap('in') },
      sinks: { out: sink('r', 'r._unmatched', 'm.dropped', 'r.a', 'm') },
    };
    expect(errors(bare).map((p) => p.message)).toEqual([
      'Input "r" for sink "out" doesn\'t match any components.',
      'Input "r._unmatched" for sink "out" doesn\'t match any components.',
      'Input "m.dropped" for sink "out" doesn\'t match any components.',
    ]);
  });

  it('reserved-output: route keys _unmatched and _default', () => {
    const config = {
      sources: { in: source },
      transforms: { r: { type: 'route', inputs: ['in'], route: { _default: 'true', ok: 'true' } } },
      sinks: { out: sink('r.ok', 'r._default', 'r._unmatched') },
    };
    expect(errors(config)).toEqual([
      {
        rule: 'reserved-output',
        severity: 'error',
        component: 'r',
        field: 'route._default',
        message: 'Transform r cannot have a named output with reserved name: `_default`',
      },
    ]);
  });

  it('type-mismatch: logs into a metrics-only sink, directly or through transforms', () => {
    expect(
      errors({ sources: { in: source }, sinks: { out: { type: 'prometheus_exporter', inputs: ['in'] } } }),
    ).toEqual([
      {
        rule: 'type-mismatch',
        ...atInputs,
        component: 'out',
        message: 'Data type mismatch between in (["Log"]) and out (["Metric"])',
      },
    ]);
    // A transform passes on only what it accepts of what flows in: logs through a filter are logs.
    const through = {
      sources: { in: source },
      transforms: { f: { type: 'filter', inputs: ['in'], condition: 'true' } },
      sinks: { out: { type: 'prometheus_exporter', inputs: ['f'] } },
    };
    expect(errors(through).map((p) => p.message)).toEqual([
      'Data type mismatch between f (["Log"]) and out (["Metric"])',
    ]);
    // throttle, dedupe and reduce take logs only; sample logs and traces.
    const metrics = { sources: { m: { type: 'internal_metrics' } } };
    for (const type of ['throttle', 'dedupe', 'reduce', 'sample']) {
      const options = { throttle: { threshold: 1, window_secs: 1 }, sample: { rate: 2 } }[type] ?? {};
      const config = {
        ...metrics,
        transforms: { t: { type, inputs: ['m'], ...options } },
        sinks: { out: sink('t') },
      };
      expect(
        errors(config).map((p) => p.rule),
        type,
      ).toEqual(['type-mismatch']);
    }
  });

  it('cycle: transforms reading each other', () => {
    const config = {
      sources: { in: source },
      transforms: { a: remap('b'), b: remap('a') },
      sinks: { out: sink('in') },
    };
    expect(errors(config)).toEqual([
      {
        rule: 'cycle',
        ...atInputs,
        component: 'a',
        message: 'Cyclic dependency detected in the chain [ a -> b -> a ]',
      },
    ]);
  });
});

describe('checkPipeline on arbitrary input', () => {
  const ids = fc.constantFrom('in', 'a', 'b', 'out', 'flotilla_x', 'a.b', '__proto__');
  const component = fc.record(
    {
      type: fc.oneof(
        fc.constantFrom('remap', 'route', 'filter', 'sample', 'blackhole', 'internal_logs'),
        fc.anything(),
      ),
      inputs: fc.oneof(fc.array(fc.oneof(ids, fc.constantFrom('a*', 'r._unmatched'))), fc.anything()),
      source: fc.oneof(fc.string(), fc.anything()),
      route: fc.oneof(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.anything())), fc.anything()),
      condition: fc.anything(),
      ratio: fc.anything(),
    },
    { requiredKeys: [] },
  );
  const section = fc.dictionary(ids, component, { maxKeys: 4 });

  it('never throws, and every problem has a severity and names a component of the config', () => {
    fc.assert(
      fc.property(fc.record({ sources: section, transforms: section, sinks: section }), (raw) => {
        const config = raw as VectorConfig;
        const known = new Set(Object.values(config).flatMap((s) => Object.keys(s ?? {})));
        for (const problem of checkPipeline(config)) {
          expect(['error', 'warning']).toContain(problem.severity);
          if (problem.component !== undefined) expect(known).toContain(problem.component);
        }
      }),
      { numRuns: 100 },
    );
  });
});
