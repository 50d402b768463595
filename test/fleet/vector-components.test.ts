import { describe, expect, it } from 'vitest';
import {
  defaultPlatforms,
  getComponent,
  listComponents,
  validateComponentOptions,
} from '../../api/fleet/vector/components.ts';
import { conditionHolds, parseCondition } from '../../api/fleet/vector/conditions.ts';

const paths = (issues: { path: string }[]) => issues.map((i) => i.path);

describe('catalogue access', () => {
  it('lists every kind sorted by type and merges the common options of the kind', () => {
    const sinks = listComponents('sink').map((c) => c.type);
    expect(sinks).toEqual([...sinks].sort());
    expect(sinks).toContain('splunk_hec_logs');
    expect(listComponents('source')).toHaveLength(19);
    expect(listComponents('transform')).toHaveLength(7);
    const http = getComponent('sink', 'http');
    expect(http?.options['buffer.type']?.enum).toEqual(['disk', 'memory']);
    expect(http?.inputTypes).toEqual(['log', 'metric', 'trace']);
    expect(getComponent('source', 'syslog')?.outputTypes).toEqual(['log']);
  });

  it('knows nothing of unknown or prototype type names', () => {
    expect(getComponent('source', 'nope')).toBeUndefined();
    expect(getComponent('source', 'constructor')).toBeUndefined();
    expect(getComponent('sink', '__proto__')).toBeUndefined();
  });

  it('defaults platforms from the catalogue', () => {
    expect(defaultPlatforms('journald')).toEqual(['linux']);
    expect(defaultPlatforms('kubernetes_logs')).toEqual(['kubernetes']);
    expect(defaultPlatforms('syslog')).toEqual(['linux', 'kubernetes']);
    expect(defaultPlatforms('nope')).toEqual(['linux', 'kubernetes']);
  });

  it('parses every condition the catalogue uses', () => {
    const conditions = (['source', 'transform', 'sink'] as const).flatMap((kind) =>
      listComponents(kind).flatMap((c) => [
        ...c.conditionallyRequired.map((r) => r.when),
        ...c.requiredWhenParentPresent.flatMap((r) => (r.when ? [r.when] : [])),
        ...Object.values(c.options).flatMap((o) =>
          [o.relevantWhen, o.requiredWhen].filter((w) => w !== undefined),
        ),
      ]),
    );
    expect(conditions.length).toBeGreaterThan(100);
    for (const when of conditions) expect(() => parseCondition(when)).not.toThrow();
    expect(conditionHolds('mode = "tcp" (or mode absent)', {})).toBe(true);
    expect(conditionHolds('mode = "tcp" (or mode absent)', { mode: 'unix' })).toBe(false);
    expect(conditionHolds('mode = "tcp" or mode = "udp"', { mode: 'udp' })).toBe(true);
    expect(() => parseCondition('mode == "tcp"')).toThrow(/unsupported condition/);
  });
});

describe('validateComponentOptions', () => {
  it('accepts valid options, common options included', () => {
    expect(validateComponentOptions('source', 'syslog', { mode: 'udp', address: '0.0.0.0:514' })).toEqual([]);
    const sink = {
      endpoint: 'https://splunk:8088',
      default_token: 't',
      encoding: { codec: 'json' },
      buffer: { type: 'disk', max_size: 268435488 },
      healthcheck: false,
      request: { concurrency: 4 },
      graph: { anything: { goes: true } },
    };
    expect(validateComponentOptions('sink', 'splunk_hec_logs', sink)).toEqual([]);
    const http = { uri: 'https://x', encoding: { codec: 'json' }, request: { headers: { 'X-Tenant': 'a' } } };
    expect(validateComponentOptions('sink', 'http', http)).toEqual([]);
  });

  it('rejects an unknown type at path type', () => {
    const issues = validateComponentOptions('source', 'nope', {});
    expect(paths(issues)).toEqual(['type']);
    expect(issues[0].message).toMatch(/^unknown variant `nope`, expected one of .*`syslog`/);
  });

  it('rejects options that are not an object', () => {
    expect(validateComponentOptions('source', 'journald', ['x'])).toEqual([
      { path: 'options', message: 'invalid type: sequence, expected a map of options' },
    ]);
    expect(paths(validateComponentOptions('source', 'journald', null))).toEqual(['options']);
  });

  it('refuses server-managed keys inside options', () => {
    const issues = validateComponentOptions('sink', 'blackhole', { inputs: ['x'], type: 'console' });
    expect(paths(issues)).toEqual(['options.type', 'options.inputs']);
  });

  it('names a missing required option, nested ones included', () => {
    expect(paths(validateComponentOptions('source', 'syslog', {}))).toEqual(['options.mode']);
    const issues = validateComponentOptions('sink', 'console', { encoding: {} });
    expect(issues).toEqual([{ path: 'options.encoding.codec', message: 'missing field `codec`' }]);
    // The parent missing is reported once, not each of its required children.
    expect(paths(validateComponentOptions('sink', 'console', {}))).toEqual(['options.encoding']);
  });

  it('applies conditionallyRequired, including "(or mode absent)"', () => {
    const issues = validateComponentOptions('source', 'syslog', { mode: 'tcp' });
    expect(issues).toEqual([
      {
        path: 'options.address',
        message: 'missing field `address` (required when mode = "tcp" or mode = "udp")',
      },
    ]);
    expect(paths(validateComponentOptions('source', 'syslog', { mode: 'unix' }))).toEqual(['options.path']);
    expect(paths(validateComponentOptions('source', 'fluent', {}))).toEqual(['options.address']);
    expect(paths(validateComponentOptions('source', 'fluent', { mode: 'unix' }))).toEqual(['options.path']);
    const avro = { encoding: { codec: 'avro', avro: {} } };
    expect(paths(validateComponentOptions('sink', 'console', avro))).toEqual([
      'options.encoding.avro.schema',
    ]);
    expect(paths(validateComponentOptions('sink', 'blackhole', { buffer: { type: 'disk' } }))).toEqual([
      'options.buffer.max_size',
    ]);
  });

  it('applies requiredWhenParentPresent only while the parent is set', () => {
    expect(validateComponentOptions('source', 'file', { include: ['/var/log/*.log'] })).toEqual([]);
    const issues = validateComponentOptions('source', 'file', {
      include: ['/a'],
      multiline: { mode: 'halt_before' },
    });
    expect(paths(issues)).toEqual([
      'options.multiline.condition_pattern',
      'options.multiline.start_pattern',
      'options.multiline.timeout_ms',
    ]);
    expect(issues[0].message).toBe('missing field `condition_pattern` (required when `multiline` is set)');
  });

  it('requires exactly one of a requiredOneOf group', () => {
    const none = validateComponentOptions('sink', 'elasticsearch', {});
    expect(none).toEqual([
      {
        path: 'options.endpoint',
        message: 'must provide exactly one of `endpoint` or `endpoints` configuration',
      },
    ]);
    const both = validateComponentOptions('sink', 'elasticsearch', {
      endpoint: 'http://a',
      endpoints: ['http://b'],
    });
    expect(paths(both)).toEqual(['options.endpoints']);
  });

  it('checks value types, lists of types and acceptsBool', () => {
    const issues = validateComponentOptions('sink', 'http', {
      uri: 42,
      encoding: { codec: 'json' },
      batch: { max_events: -1, timeout_secs: 'soon' },
      request: { concurrency: 1.5 },
      acknowledgements: true,
      compression: null,
    });
    expect(issues).toEqual([
      { path: 'options.uri', message: 'invalid type: integer `42`, expected string' },
      { path: 'options.batch.max_events', message: 'invalid type: integer `-1`, expected uint' },
      { path: 'options.batch.timeout_secs', message: 'invalid type: string "soon", expected float' },
      {
        path: 'options.request.concurrency',
        message: 'invalid type: floating point `1.5`, expected string or uint',
      },
    ]);
    expect(
      paths(
        validateComponentOptions('sink', 'http', {
          uri: 'u',
          encoding: { codec: 'csv', csv: { fields: ['a'], delimiter: 'ab' } },
        }),
      ),
    ).toEqual(['options.encoding.csv.delimiter']);
  });

  it('checks enums, including enums of a type list and of array items', () => {
    expect(validateComponentOptions('source', 'syslog', { mode: 'sctp' })).toEqual([
      { path: 'options.mode', message: 'unknown variant `sctp`, expected one of `tcp`, `udp`, `unix`' },
    ]);
    expect(paths(validateComponentOptions('sink', 'blackhole', { healthcheck: { enabled: 'yes' } }))).toEqual(
      ['options.healthcheck.enabled'],
    );
    expect(
      paths(validateComponentOptions('source', 'host_metrics', { collectors: ['cpu', 'gpu', 3] })),
    ).toEqual(['options.collectors[1]', 'options.collectors[2]']);
  });

  it('rejects unknown options where the component denies unknown fields, at every level', () => {
    const issues = validateComponentOptions('source', 'file', {
      include: ['/a'],
      includ: ['/b'],
      fingerprint: { strat: 1 },
    });
    expect(paths(issues)).toEqual(['options.includ', 'options.fingerprint.strat']);
    expect(issues[0].message).toMatch(/^unknown field `includ`, expected one of .*`include`/);
    // `*` map keys are free, their values still checked.
    expect(
      paths(validateComponentOptions('source', 'journald', { include_matches: { _SYSTEMD_UNIT: ['a', 1] } })),
    ).toEqual(['options.include_matches._SYSTEMD_UNIT[1]']);
  });

  it('ignores unknown top-level options where the component does not deny them', () => {
    expect(validateComponentOptions('source', 'syslog', { mode: 'udp', address: ':514', typo: 1 })).toEqual(
      [],
    );
  });
});

describe('validateComponentOptions for transforms', () => {
  it('checks required options and requiredOneOf (inside a present parent only), then values', () => {
    expect(paths(validateComponentOptions('transform', 'remap', {}))).toEqual(['options.source']);
    expect(paths(validateComponentOptions('transform', 'remap', { source: '.', typo: 1 }))).toEqual([
      'options.typo',
    ]);
    expect(paths(validateComponentOptions('transform', 'filter', {}))).toEqual(['options.condition']);
    expect(validateComponentOptions('transform', 'dedupe', {})).toEqual([]);
    expect(paths(validateComponentOptions('transform', 'dedupe', { fields: {} }))).toEqual([
      'options.fields.match',
    ]);
  });
});
