/**
 * Forms generated from the Vector catalogue: required fields, conditions, hidden branches,
 * widgets, and turning widget text into option values. Uses the server's real catalogue.
 */
import { describe, expect, it } from 'vitest';
import { getComponent, type ComponentKind } from '../../api/fleet/vector/components.ts';
import {
  conditionHolds,
  displayValue,
  formFields,
  getPath,
  parseValue,
  setPath,
  type CatalogueComponent,
} from '../../web/src/lib/option-form.ts';

/** A component as the GraphQL API serves it (options as a sorted list with `types`). */
function catalogued(kind: ComponentKind, type: string): CatalogueComponent {
  const spec = getComponent(kind, type);
  if (!spec) throw new Error(`no ${kind} ${type}`);
  return {
    ...spec,
    requiredOneOf: spec.requiredOneOf.map((options) => ({ options })),
    options: Object.entries(spec.options)
      .map(([name, o]) => ({ ...o, name, types: [o.type].flat() }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

const names = (fields: { name: string }[]) => fields.map((f) => f.name);

describe('option forms', () => {
  it('asks for the always-required options of a source, with the right widget', () => {
    const { required } = formFields(catalogued('source', 'file'), {});
    expect(names(required)).toEqual(['include']);
    expect(required[0].widget).toBe('list');
  });

  it('requires a sink encoding codec as a choice, and never asks for server-managed inputs', () => {
    const { required, optional } = formFields(catalogued('sink', 'console'), {});
    const codec = required.find((f) => f.name === 'encoding.codec');
    expect(codec?.widget).toBe('select');
    expect(codec?.choices).toContain('json');
    expect(names([...required, ...optional])).not.toContain('inputs');
  });

  it('shows options of a codec branch only when that codec is chosen', () => {
    const sink = catalogued('sink', 'console');
    const json = formFields(sink, { encoding: { codec: 'json' } });
    expect(names(json.required)).not.toContain('encoding.avro.schema');
    expect(names(json.optional)).not.toContain('encoding.avro.schema');
    const avro = formFields(sink, { encoding: { codec: 'avro' } });
    expect(names(avro.required)).toContain('encoding.avro.schema');
  });

  it('skips array-of-object and map entries, which are edited as JSON instead', () => {
    const { required, optional } = formFields(catalogued('sink', 'console'), { encoding: { codec: 'cef' } });
    expect(names([...required, ...optional]).some((n) => n.includes('*') || n.includes('[]'))).toBe(false);
  });

  it('evaluates catalogue conditions', () => {
    const values = { mode: 'tcp' };
    expect(conditionHolds('mode = "tcp"', values)).toBe(true);
    expect(conditionHolds('mode = "udp" or mode = "tcp"', values)).toBe(true);
    expect(conditionHolds('mode = "udp" (or mode absent)', values)).toBe(false);
    expect(conditionHolds('mode = "udp" (or mode absent)', {})).toBe(true);
    expect(conditionHolds(null, values)).toBe(true);
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
