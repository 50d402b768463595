import { describe, expect, it } from 'vitest';
import { checkPipeline } from '../../api/fleet/vector/checks.ts';
import { blockingProblems } from '../../api/fleet/vector/problems.ts';
import { VRL_COMPILE_NOTE } from '../../api/fleet/vector/vrl.ts';

/** A transform without its inputs. */
type Transform = { type: string; [option: string]: unknown };

/** The blocking problems of `in → t → out` with `t` the given transform (its inputs added; the sink reads all its outputs). */
function check(transform: Transform) {
  return blockingProblems(
    checkPipeline({
      sources: { in: { type: 'internal_logs' } },
      transforms: { t: { inputs: ['in'], ...transform } },
      sinks: { out: { type: 'blackhole', inputs: ['t*'] } }, // route has only named outputs
    }),
  );
}
const summary = (transform: Transform) => check(transform).map((p) => [p.rule, p.field]);

describe('checkPipeline: transform options', () => {
  it('accepts every catalogued transform with its minimal options', () => {
    const minimal: Transform[] = [
      { type: 'remap', source: '.a = 1' },
      { type: 'remap', file: '/etc/vector/a.vrl' },
      { type: 'filter', condition: { type: 'datadog_search', source: '*:*' } },
      { type: 'route', route: { a: { type: 'vrl', source: 'true' } }, reroute_unmatched: false },
      { type: 'sample', ratio: 0.5, exclude: '.level == "debug"' },
      {
        type: 'throttle',
        threshold: 100,
        window_secs: 1.5,
        internal_metrics: { emit_events_discarded_per_key: true },
      },
      { type: 'dedupe', fields: { match: ['message'] }, cache: { num_events: 10 } },
      {
        type: 'reduce',
        group_by: ['host'],
        merge_strategies: { message: 'concat' },
        ends_when: '.done == true',
      },
    ];
    for (const transform of minimal) expect(check(transform), transform.type).toEqual([]);
  });

  it('required options, with the field named', () => {
    expect(summary({ type: 'filter' })).toEqual([['invalid-options', 'condition']]);
    expect(summary({ type: 'route' })).toEqual([['invalid-options', 'route']]);
    expect(summary({ type: 'throttle', threshold: 1 })).toEqual([['invalid-options', 'window_secs']]);
    expect(summary({ type: 'dedupe', fields: { match: ['a'] }, time_settings: {} })).toEqual([
      ['invalid-options', 'time_settings.max_age_ms'],
    ]);
    expect(check({ type: 'filter' })[0]).toMatchObject({
      component: 't',
      message: 'missing field `condition` in `transforms.t`',
    });
  });

  it('one-of groups: remap source/file/files, sample rate/ratio, dedupe fields.match/ignore', () => {
    expect(summary({ type: 'remap' })).toEqual([['invalid-options', 'source']]);
    expect(summary({ type: 'remap', source: '.', file: '/a.vrl' })).toEqual([['invalid-options', 'file']]);
    expect(summary({ type: 'sample' })).toEqual([['invalid-options', 'rate']]);
    expect(summary({ type: 'sample', rate: 2, ratio: 0.5 })).toEqual([['invalid-options', 'ratio']]);
    expect(summary({ type: 'dedupe', fields: { match: ['a'], ignore: ['b'] } })).toEqual([
      ['invalid-options', 'fields.ignore'],
    ]);
    expect(check({ type: 'remap' })[0].message).toBe(
      'must provide exactly one of `source` or `file` or `files` configuration in `transforms.t`',
    );
  });

  it('value types, enums, array items, conditions and unknown fields (transforms deny them)', () => {
    expect(summary({ type: 'throttle', threshold: -1, window_secs: '1s' })).toEqual([
      ['invalid-options', 'threshold'],
      ['invalid-options', 'window_secs'],
    ]);
    expect(check({ type: 'throttle', threshold: 1.5, window_secs: 1 })[0].message).toBe(
      'invalid type: floating point `1.5`, expected uint in `transforms.t`',
    );
    expect(summary({ type: 'remap', source: '.', metric_tag_values: 'many' })).toEqual([
      ['invalid-options', 'metric_tag_values'],
    ]);
    expect(summary({ type: 'reduce', group_by: ['a', 2] })).toEqual([['invalid-options', 'group_by[1]']]);
    expect(summary({ type: 'reduce', merge_strategies: { a: 'average' } })).toEqual([
      ['invalid-options', 'merge_strategies.a'],
    ]);
    expect(summary({ type: 'filter', condition: 42 })).toEqual([['invalid-options', 'condition']]);
    expect(summary({ type: 'filter', condition: { type: 'vrl' } })).toEqual([
      ['invalid-options', 'condition'],
    ]);
    expect(summary({ type: 'filter', condition: { source: 'true' } })).toEqual([
      ['invalid-options', 'condition'],
    ]);
    expect(summary({ type: 'filter', condition: { type: 'is_log', source: '' } })).toEqual([
      ['invalid-options', 'condition'],
    ]);
    expect(summary({ type: 'remap', source: '.', sorce: '.' })).toEqual([['invalid-options', 'sorce']]);
    expect(summary({ type: 'dedupe', fields: { match: ['a'], exact: true } })).toEqual([
      ['invalid-options', 'fields.exact'],
    ]);
  });

  it("sample: Vector's build rules for rate, ratio and the dynamic fields", () => {
    expect(check({ type: 'sample', ratio: 0 })).toEqual([
      {
        rule: 'invalid-options',
        severity: 'error',
        component: 't',
        field: 'ratio',
        message: 'Only positive, non-zero numbers are allowed values for `ratio`, value: 0',
      },
    ]);
    expect(summary({ type: 'sample', rate: 0 })).toEqual([['invalid-options', 'rate']]);
    expect(summary({ type: 'sample', rate: 2, ratio_field: 'r', rate_field: 'n' })).toEqual([
      ['invalid-options', 'rate_field'],
    ]);
    expect(summary({ type: 'sample', rate: 2, key_field: 'id', rate_field: 'n' })).toEqual([
      ['invalid-options', 'key_field'],
    ]);
  });
});

describe('checkPipeline: VRL', () => {
  it('lints remap programs and every VRL condition, naming the field and saying what was not checked', () => {
    const problems = check({ type: 'remap', source: '.a = parse_jsn!(.message)' });
    expect(problems).toEqual([
      {
        rule: 'invalid-vrl',
        severity: 'error',
        component: 't',
        field: 'source',
        message: `line 1, column 6: call to undefined function \`parse_jsn\` in \`transforms.t.source\`; ${VRL_COMPILE_NOTE}`,
      },
    ]);
    expect(problems[0].message).toContain('the full VRL compile happens in `vector validate` on the agent');
    expect(summary({ type: 'remap', source: '  # nothing\n' })).toEqual([['invalid-vrl', 'source']]);
    expect(summary({ type: 'filter', condition: '(.a == 1' })).toEqual([['invalid-vrl', 'condition']]);
    expect(summary({ type: 'filter', condition: { type: 'vrl', source: '"x' } })).toEqual([
      ['invalid-vrl', 'condition.source'],
    ]);
    expect(summary({ type: 'route', route: { ok: 'true', bad: 'nope(.a)' } })).toEqual([
      ['invalid-vrl', 'route.bad'],
    ]);
    expect(summary({ type: 'sample', rate: 2, exclude: { type: 'vrl', source: 'exists(.a' } })).toEqual([
      ['invalid-vrl', 'exclude.source'],
    ]);
    expect(summary({ type: 'reduce', starts_when: '', ends_when: 'true' })).toEqual([
      ['invalid-vrl', 'starts_when'],
    ]);
  });

  it('leaves datadog_search conditions alone, and lints only once the options are valid', () => {
    expect(check({ type: 'filter', condition: { type: 'datadog_search', source: 'service:(a' } })).toEqual(
      [],
    );
    expect(summary({ type: 'remap', source: 'nope()', typo: 1 })).toEqual([['invalid-options', 'typo']]);
  });
});
