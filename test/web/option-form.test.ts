/**
 * Forms generated from the Vector catalogue: required fields, conditions, hidden branches,
 * widgets, and turning widget text into option values. The components come from the server's real
 * GraphQL schema (conditions parsed by the server, server-managed keys listed by it), executed
 * in-process as a viewer.
 */
import { graphql } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../api/graphql/schema/index.ts';
import {
  conditionHolds,
  displayValue,
  formFields,
  getPath,
  parseValue,
  setPath,
  type CatalogueComponent,
  type OptionCondition,
} from '../../web/src/lib/option-form.ts';
import {
  belongsToOption,
  checkBeforeSubmit,
  plainFieldErrors,
  plainMessage,
} from '../../web/src/lib/option-checks.ts';
import { mapFromRows, mapRows } from '../../web/src/lib/option-map.ts';

const CONDITION = 'anyOf { field operator value }';
const COMPONENT = `query ($kind: ComponentKind!, $type: String!) {
  vectorComponent(kind: $kind, type: $type) {
    type required serverManagedOptions
    conditionallyRequired { name when { ${CONDITION} } }
    requiredWhenParentPresent { name whenPresent when { ${CONDITION} } }
    requiredOneOf { options }
    options { name types required enum itemEnum items default example note
      relevantWhen { ${CONDITION} } requiredWhen { ${CONDITION} } }
  }
}`;

/** A component exactly as the GraphQL API serves it to the dashboard. */
async function catalogued(kind: 'source' | 'sink', type: string): Promise<CatalogueComponent> {
  const result = await graphql({
    schema,
    source: COMPONENT,
    variableValues: { kind, type },
    contextValue: { actor: { role: 'viewer' } },
  });
  expect(result.errors).toBeUndefined();
  const component = (result.data as { vectorComponent: CatalogueComponent | null }).vectorComponent;
  if (!component) throw new Error(`no ${kind} ${type}`);
  return component;
}

/** Condition text the way the server serves it parsed: `a = "x" or b absent`. */
const when = (...terms: [string, string?][]): OptionCondition => ({
  anyOf: terms.map(([field, value]) =>
    value === undefined ? { field, operator: 'absent' } : { field, operator: 'equals', value },
  ),
});

const names = (fields: { name: string }[]) => fields.map((f) => f.name);

describe('option forms', () => {
  it('asks for the always-required options of a source, with the right widget', async () => {
    const { required } = formFields(await catalogued('source', 'file'), {});
    expect(names(required)).toEqual(['include']);
    expect(required[0].widget).toBe('list');
  });

  it('requires a sink encoding codec as a choice, and never asks for server-managed inputs', async () => {
    const sink = await catalogued('sink', 'console');
    expect(sink.serverManagedOptions).toEqual(expect.arrayContaining(['type', 'inputs']));
    const { required, optional } = formFields(sink, {});
    const codec = required.find((f) => f.name === 'encoding.codec');
    expect(codec?.widget).toBe('select');
    expect(codec?.choices).toContain('json');
    expect(names([...required, ...optional])).not.toContain('inputs');
  });

  it('shows options of a codec branch only when that codec is chosen', async () => {
    const sink = await catalogued('sink', 'console');
    const json = formFields(sink, { encoding: { codec: 'json' } });
    expect(names(json.required)).not.toContain('encoding.avro.schema');
    expect(names(json.optional)).not.toContain('encoding.avro.schema');
    const avro = formFields(sink, { encoding: { codec: 'avro' } });
    expect(names(avro.required)).toContain('encoding.avro.schema');
  });

  it('skips array-of-object and map entries, which are edited as JSON instead', async () => {
    const sink = await catalogued('sink', 'console');
    const { required, optional } = formFields(sink, { encoding: { codec: 'cef' } });
    expect(names([...required, ...optional]).some((n) => n.includes('*') || n.includes('[]'))).toBe(false);
  });

  it('evaluates server-parsed conditions', () => {
    const values = { mode: 'tcp' };
    expect(conditionHolds(when(['mode', 'tcp']), values)).toBe(true);
    expect(conditionHolds(when(['mode', 'udp'], ['mode', 'tcp']), values)).toBe(true);
    expect(conditionHolds(when(['mode', 'udp'], ['mode']), values)).toBe(false);
    expect(conditionHolds(when(['mode', 'udp'], ['mode']), {})).toBe(true);
    expect(conditionHolds(when(['mode', 'udp'], ['mode']), { mode: null })).toBe(true);
    expect(conditionHolds(when(['tls.enabled', 'x']), { tls: { enabled: 'x' } })).toBe(true);
    expect(conditionHolds(null, values)).toBe(true);
  });

  it('shows the syslog path option only in unix mode, as the server parses the condition', async () => {
    const syslog = await catalogued('source', 'syslog');
    const shown = (values: Record<string, unknown>) => {
      const { required, optional } = formFields(syslog, values);
      return names([...required, ...optional]);
    };
    expect(shown({ mode: 'unix' })).toContain('path');
    expect(shown({ mode: 'tcp' })).not.toContain('path');
  });

  it('reads and writes dotted paths, dropping emptied parents', () => {
    let values = setPath({}, 'encoding.codec', 'json');
    expect(values).toEqual({ encoding: { codec: 'json' } });
    expect(getPath(values, 'encoding.codec')).toBe('json');
    values = setPath(values, 'encoding.codec', undefined);
    expect(values).toEqual({});
  });

  it('turns widget text into values and back', () => {
    expect(parseValue({ widget: 'list' }, '/var/log/*.log\n\n/tmp/x.log ')).toEqual([
      '/var/log/*.log',
      '/tmp/x.log',
    ]);
    expect(parseValue({ widget: 'json' }, '{"a":1}')).toEqual({ a: 1 });
    expect(parseValue({ widget: 'json' }, 'not json')).toBe('not json');
    expect(parseValue({ widget: 'text' }, '   ')).toBeUndefined();
    expect(displayValue({ widget: 'list' }, ['a', 'b'])).toBe('a\nb');
  });
});

describe('forms that never dead-end', () => {
  it('gives map-valued options a key/value editor, required when the catalogue says so', async () => {
    const loki = formFields(await catalogued('sink', 'loki'), {});
    const labels = loki.required.find((f) => f.name === 'labels');
    expect(labels).toMatchObject({
      widget: 'map',
      keyPlaceholder: 'e.g. source',
      placeholder: 'e.g. vector',
    });
    const http = formFields(await catalogued('sink', 'http'), {});
    expect(http.optional.find((f) => f.name === 'request.headers')?.widget).toBe('map');
    const elasticsearch = formFields(await catalogued('sink', 'elasticsearch'), {});
    expect(elasticsearch.optional.find((f) => f.name === 'query')?.widget).toBe('map');
  });

  it('shows "set one of" options as required, each naming the others', async () => {
    const { required, optional } = formFields(await catalogued('sink', 'elasticsearch'), {});
    expect(required.find((f) => f.name === 'endpoint')?.oneOf).toEqual(['endpoints']);
    expect(required.find((f) => f.name === 'endpoints')?.oneOf).toEqual(['endpoint']);
    expect(names(optional)).not.toContain('endpoint');
  });

  it('words every example placeholder as an example', async () => {
    for (const [kind, type] of [
      ['source', 'file'],
      ['sink', 'loki'],
      ['sink', 'http'],
      ['sink', 'elasticsearch'],
    ] as const) {
      const { required, optional } = formFields(await catalogued(kind, type), {});
      for (const field of [...required, ...optional]) {
        for (const text of [field.placeholder, field.keyPlaceholder].filter(Boolean))
          expect(text, `${type} ${field.name}`).toMatch(/^e\.g\. /);
      }
    }
  });

  it('checks required options, one-of groups and JSON before submitting', async () => {
    const loki = await catalogued('sink', 'loki');
    expect(checkBeforeSubmit(loki, {})).toMatchObject({
      'options.labels': 'Required.',
      'options.endpoint': 'Required.',
    });
    expect(checkBeforeSubmit(loki, { labels: {} })['options.labels']).toBe('Required.');
    const filled = { endpoint: 'http://loki:3100', labels: { app: 'web' }, encoding: { codec: 'json' } };
    expect(checkBeforeSubmit(loki, filled)).toEqual({});

    const elasticsearch = await catalogued('sink', 'elasticsearch');
    expect(checkBeforeSubmit(elasticsearch, {})).toEqual({
      'options.endpoint': 'Set endpoint or endpoints.',
      'options.endpoints': 'Set endpoint or endpoints.',
    });
    expect(checkBeforeSubmit(elasticsearch, { endpoints: ['http://es:9200'] })).toEqual({});
    expect(checkBeforeSubmit(elasticsearch, { endpoint: 'http://a', endpoints: ['http://b'] })).toEqual({
      'options.endpoint': 'Set only one of endpoint or endpoints, not both.',
      'options.endpoints': 'Set only one of endpoint or endpoints, not both.',
    });

    const file = await catalogued('source', 'file');
    const json = formFields(file, {}).optional.find((f) => f.widget === 'json');
    if (!json) throw new Error('the file source has no JSON-edited option');
    const broken = setPath({ include: ['/var/log/*.log'] }, json.name, '{"unfinished": ');
    expect(checkBeforeSubmit(file, broken)[`options.${json.name}`]).toMatch(/not valid JSON/);
  });

  it('rewords the server’s Vector-style field errors in plain language', () => {
    expect(plainMessage('missing field `labels`')).toBe('Required.');
    expect(plainMessage('invalid type: string "x", expected uint')).toBe('Enter a whole number (0 or more).');
    expect(plainMessage('invalid type: map, expected string or array')).toBe('Enter text or a list.');
    expect(plainMessage('unknown variant `jsn`, expected one of `json`, `text`')).toBe(
      '“jsn” is not one of the choices (json, text).',
    );
    expect(plainMessage('unknown field `lables`, expected one of `labels`')).toMatch(
      /^“lables” is not an option/,
    );
    expect(plainMessage('must provide exactly one of `endpoint`, `endpoints` configuration')).toBe(
      'Set exactly one of endpoint or endpoints.',
    );
    expect(plainMessage('missing field `uri` in `sinks.out.options`')).toBe('Required.');
    expect(plainMessage('Something only the server knows.')).toBe('Something only the server knows.');
    expect(plainFieldErrors({ 'options.port': 'invalid type: boolean `true`, expected uint' })).toEqual({
      'options.port': 'Enter a whole number (0 or more).',
    });
  });

  it('matches errors inside an option to its field, so editing the field clears them', () => {
    expect(belongsToOption('options.labels', 'labels')).toBe(true);
    expect(belongsToOption('options.labels.app', 'labels')).toBe(true);
    expect(belongsToOption('options.include[0]', 'include')).toBe(true);
    expect(belongsToOption('options.labelsX', 'labels')).toBe(false);
  });

  it('turns key/value rows into a map and back, keeping JSON object values', () => {
    expect(mapRows({ app: 'web', q: { type: 'vrl', value: '.x' } })).toEqual([
      { key: 'app', value: 'web' },
      { key: 'q', value: '{"type":"vrl","value":".x"}' },
    ]);
    expect(
      mapFromRows([
        { key: ' app ', value: 'web' },
        { key: '', value: 'typed before its key' },
        { key: 'q', value: '{"type":"vrl","value":".x"}' },
      ]),
    ).toEqual({ app: 'web', q: { type: 'vrl', value: '.x' } });
    expect(mapFromRows([{ key: '', value: '' }])).toBeUndefined();
  });
});
