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
