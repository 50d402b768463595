/**
 * The Vector component catalogue over GraphQL: conditions served parsed by the server (the
 * dashboard only evaluates them) and the option keys the server manages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_MANAGED_OPTIONS } from '../../api/fleet/vector/components.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createTestUser, gqlData, type TestUser } from './helpers.ts';

let server: TestServer;
let viewer: TestUser;
beforeAll(async () => {
  server = await startTestServer();
  viewer = await createTestUser(server.ctx, 'viewer');
});
afterAll(() => server.close());

const asViewer = (q: string, v: Record<string, unknown> = {}) =>
  gqlData(server.baseUrl, q, v, { token: viewer.token });
const CONDITION = '{ text anyOf { field operator value } }';

interface Condition {
  text: string;
  anyOf: { field: string; operator: string; value: string | null }[];
}

describe('vector component catalogue', () => {
  it('serves a disjunction as equals terms, with the catalogue text beside it', async () => {
    const { vectorComponent } = await asViewer(
      `{ vectorComponent(kind: source, type: "syslog") {
        conditionallyRequired { name when ${CONDITION} }
        options { name relevantWhen ${CONDITION} requiredWhen ${CONDITION} } } }`,
    );
    const address = vectorComponent.conditionallyRequired.find((r: { name: string }) => r.name === 'address');
    expect(address.when).toEqual({
      text: 'mode = "tcp" or mode = "udp"',
      anyOf: [
        { field: 'mode', operator: 'equals', value: 'tcp' },
        { field: 'mode', operator: 'equals', value: 'udp' },
      ],
    });
    const path = vectorComponent.options.find((o: { name: string }) => o.name === 'path');
    expect(path.relevantWhen.anyOf).toEqual([{ field: 'mode', operator: 'equals', value: 'unix' }]);
    const mode = vectorComponent.options.find((o: { name: string }) => o.name === 'mode');
    expect(mode).toMatchObject({ relevantWhen: null, requiredWhen: null });
  });

  it('serves "(or x absent)" as an absent term without a value', async () => {
    const { vectorComponent } = await asViewer(
      `{ vectorComponent(kind: source, type: "fluent") { options { name relevantWhen ${CONDITION} } } }`,
    );
    const address = vectorComponent.options.find((o: { name: string }) => o.name === 'address');
    expect(address.relevantWhen.anyOf).toEqual([
      { field: 'mode', operator: 'equals', value: 'tcp' },
      { field: 'mode', operator: 'absent', value: null },
    ]);
  });

  it('serves the transforms with their data types, named outputs, platforms and VRL options', async () => {
    const { vectorComponents } = await asViewer(
      `{ vectorComponents(kind: transform) { type inputTypes namedOutputs platforms options { name types syntax } } }`,
    );
    const byType = new Map(vectorComponents.map((c: { type: string }) => [c.type, c]));
    expect([...byType.keys()]).toEqual([
      'dedupe',
      'filter',
      'reduce',
      'remap',
      'route',
      'sample',
      'throttle',
    ]);
    expect(byType.get('route')).toMatchObject({
      inputTypes: ['log', 'metric', 'trace'],
      namedOutputs: ['<route key>', '_unmatched'],
      platforms: ['linux', 'kubernetes'],
    });
    expect(byType.get('throttle')).toMatchObject({ inputTypes: ['log'], namedOutputs: [] });
    const options = (type: string) =>
      (byType.get(type) as { options: { name: string; types: string[]; syntax: string | null }[] }).options;
    expect(options('remap').find((o) => o.name === 'source')).toEqual({
      name: 'source',
      types: ['string'],
      syntax: 'vrl_program',
    });
    expect(options('filter').find((o) => o.name === 'condition')).toEqual({
      name: 'condition',
      types: ['condition'],
      syntax: null,
    });
    expect(options('sample').find((o) => o.name === 'group_by')?.syntax).toBe('template');
  });

  it('parses every condition of every component, nested requirements included', async () => {
    const { vectorComponents } = await asViewer(
      `{ vectorComponents {
        conditionallyRequired { when ${CONDITION} }
        requiredWhenParentPresent { whenPresent when ${CONDITION} }
        options { relevantWhen ${CONDITION} requiredWhen ${CONDITION} } } }`,
    );
    const conditions: Condition[] = vectorComponents
      .flatMap(
        (c: {
          conditionallyRequired: { when: Condition | null }[];
          requiredWhenParentPresent: { when: Condition | null }[];
          options: { relevantWhen: Condition | null; requiredWhen: Condition | null }[];
        }) => [
          ...c.conditionallyRequired.map((r) => r.when),
          ...c.requiredWhenParentPresent.map((r) => r.when),
          ...c.options.flatMap((o) => [o.relevantWhen, o.requiredWhen]),
        ],
      )
      .filter((c: Condition | null): c is Condition => c !== null);
    expect(conditions.length).toBeGreaterThan(100);
    for (const condition of conditions) {
      expect(condition.anyOf.length).toBeGreaterThan(0);
      for (const term of condition.anyOf) {
        expect(condition.text).toContain(term.field);
        expect(term.value === null).toBe(term.operator === 'absent');
      }
    }
  });

  it('lists the option keys the server writes itself, the same for every component', async () => {
    const { vectorComponents } = await asViewer('{ vectorComponents { type serverManagedOptions } }');
    for (const component of vectorComponents) {
      expect(component.serverManagedOptions).toEqual([...SERVER_MANAGED_OPTIONS]);
    }
    expect(SERVER_MANAGED_OPTIONS).toEqual(expect.arrayContaining(['type', 'inputs']));
  });
});
