/**
 * Unstorable input at the GraphQL boundary (api/graphql/input-bounds.ts): a NUL character or an
 * unpaired surrogate in any string input (variables or inline literals, JSON keys included), and
 * JSON option values nested deeper than MAX_JSON_DEPTH, get a typed BAD_USER_INPUT error naming
 * where the value is: never a masked internal error, never a row changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolOverHttp, mintToken, uniqueSlug } from '../helpers/factories.ts';
import { LOGIN, createTestUser, gql, type GqlResponse, type TestUser } from './helpers.ts';
import { MAX_JSON_DEPTH } from '../../api/protocol/storable.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { FleetError } from '../../api/fleet/errors.ts';
import { createGroup } from '../../api/fleet/groups.ts';
import { addDraftComponent } from '../../api/fleet/pipeline/component-edits.ts';
import { setAgentLabels } from '../../api/fleet/agents.ts';

let server: TestServer;
let editor: TestUser;
let groupId: string;
let agentId: string;
beforeAll(async () => {
  server = await startTestServer();
  editor = await createTestUser(server.ctx, 'editor');
  const group = await createGroupWithPipeline(server.ctx);
  groupId = group.id;
  const enrolled = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
  agentId = enrolled.agentId;
});
afterAll(() => server.close());

const NUL = 'a\u0000b';
const LONE_SURROGATE = 'a\ud800b';
const ERROR = '... on Error { __typename code message }';
const CREATE_GROUP = `mutation($input: CreateGroupInput!) { createGroup(input: $input) { __typename ${ERROR} } }`;
const SET_LABELS = `mutation($input: SetAgentLabelsInput!) { setAgentLabels(input: $input) { __typename ${ERROR} } }`;
const ADD_COMPONENT = `mutation($input: AddDraftComponentInput!) { addDraftComponent(input: $input) { __typename ${ERROR} } }`;
/** A draft edit adding source `id` with `options`. */
const addSource = (groupId: string, id: string, options: unknown) => ({
  input: { groupId, revision: 0, component: { id, kind: 'source', type: 'demo_logs', options } },
});
const AGENTS = `query($filter: AgentFilter) { agents(first: 10, filter: $filter) { totalCount } }`;

const asEditor = (query: string, variables: Record<string, unknown> = {}) =>
  gql(server.baseUrl, query, variables, { token: editor.token });

/** The state every refused request must leave untouched. */
async function snapshot() {
  const [groups, inputs, agent, audit] = await Promise.all([
    server.ctx.db.group.count(),
    server.ctx.db.pipelineDraft.count(),
    server.ctx.db.agent.findUniqueOrThrow({ where: { id: agentId }, select: { labels: true } }),
    server.ctx.db.auditEvent.count(),
  ]);
  return { groups, inputs, labels: agent.labels, audit };
}

function expectRefused(res: GqlResponse, inputPath: string | RegExp) {
  expect(res.status, JSON.stringify(res.errors)).toBeLessThan(500);
  expect(res.data).toBeNull();
  expect(res.errors).toHaveLength(1);
  const [error] = res.errors as { message: string; extensions: Record<string, unknown> }[];
  expect(error.extensions.code).toBe('BAD_USER_INPUT');
  expect(error.message).not.toMatch(/unexpected/i);
  if (inputPath instanceof RegExp)
    expect(String(error.extensions.inputPath ?? error.message)).toMatch(inputPath);
  else expect(error.extensions.inputPath).toBe(inputPath);
}

/** `{"a":{"a":…"leaf"…}}` as JSON text: JSON.stringify itself overflows the stack at this depth. */
function nestedJson(depth: number): string {
  return `${'{"a":'.repeat(depth)}"leaf"${'}'.repeat(depth)}`;
}

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i += 1) value = { a: value };
  return value;
}

describe('unstorable text in GraphQL inputs', () => {
  it('createGroup with NUL or a lone surrogate in its name: BAD_USER_INPUT, no group', async () => {
    const before = await snapshot();
    for (const name of [NUL, LONE_SURROGATE]) {
      expectRefused(await asEditor(CREATE_GROUP, { input: { slug: uniqueSlug(), name } }), '$input.name');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('an inline string literal with an escaped NUL: BAD_USER_INPUT with the argument path', async () => {
    const before = await snapshot();
    const res = await asEditor(
      `mutation { createGroup(input: { slug: "${uniqueSlug()}", name: "a\\u0000b" }) { __typename } }`,
    );
    expectRefused(res, 'createGroup.input.name');
    expect(await snapshot()).toEqual(before);
  });

  it('setAgentLabels with NUL in a label value: BAD_USER_INPUT, labels unchanged', async () => {
    const before = await snapshot();
    const res = await asEditor(SET_LABELS, { input: { agentId, labels: [{ key: 'env', value: NUL }] } });
    expectRefused(res, '$input.labels[0].value');
    expect(await snapshot()).toEqual(before);
  });

  it('option values and option keys with NUL or a lone surrogate: BAD_USER_INPUT, no input', async () => {
    const before = await snapshot();
    for (const options of [{ format: NUL }, { [NUL]: 'json' }, { format: 'json', lines: [LONE_SURROGATE] }]) {
      const res = await asEditor(ADD_COMPONENT, addSource(groupId, uniqueSlug('in'), options));
      expectRefused(res, /^\$input\.component\.options/);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('login with NUL in the email (anonymous): BAD_USER_INPUT, no audit row, no cookie', async () => {
    const before = await snapshot();
    const res = await gql(server.baseUrl, LOGIN, {
      input: { email: `x${NUL}@example.com`, password: 'p'.repeat(12) },
    });
    expectRefused(res, '$input.email');
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await snapshot()).toEqual(before);
  });

  it('agent filters with NUL or a lone surrogate: BAD_USER_INPUT', async () => {
    for (const filter of [
      { hostname: NUL },
      { labels: [{ key: 'env', value: LONE_SURROGATE }] },
      { agentVersions: ['1.0.0', NUL] },
    ]) {
      expectRefused(await asEditor(AGENTS, { filter }), /^\$filter\./);
    }
  });

  it('still accepts ordinary text, including characters outside the BMP', async () => {
    const res = await asEditor(CREATE_GROUP, { input: { slug: uniqueSlug(), name: 'Logs 🚀 café' } });
    expect(res.errors).toBeUndefined();
    expect((res.data as { createGroup: { __typename: string } }).createGroup.__typename).toBe(
      'CreateGroupPayload',
    );
  });
});

describe('deep JSON option values', () => {
  it('5,000-level nested options (variable or literal): BAD_USER_INPUT, no input', async () => {
    const before = await snapshot();
    const variables = `{"input":{"groupId":"${groupId}","revision":0,"component":{"id":"${uniqueSlug('in')}","kind":"source","type":"demo_logs","options":${nestedJson(5000)}}}}`;
    const http = await fetch(`${server.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${editor.token}` },
      body: `{"query":${JSON.stringify(ADD_COMPONENT)},"variables":${variables}}`,
    });
    const body = (await http.json()) as { data?: null; errors: GqlResponse['errors'] };
    expectRefused(
      { status: http.status, headers: http.headers, data: body.data ?? null, errors: body.errors },
      /nest deeper than/,
    );
    const literal = await asEditor(
      `mutation { addDraftComponent(input: { groupId: "${groupId}", revision: 0, component: { id: "x", kind: source, type: "demo_logs", options: ${'{a: '.repeat(40)}1${'}'.repeat(40)} } }) { __typename } }`,
    );
    expectRefused(literal, /nest deeper than/);
    expect(await snapshot()).toEqual(before);
  });

  it(`accepts options nested ${MAX_JSON_DEPTH} levels (the bound), up to the catalogue's own checks`, async () => {
    const res = await asEditor(
      ADD_COMPONENT,
      addSource(groupId, uniqueSlug('in'), { format: 'json', x: nested(MAX_JSON_DEPTH - 2) }),
    );
    expect(res.errors).toBeUndefined();
  });
});

describe('the same rule for callers outside GraphQL (fleet inputs, e.g. the CLI)', () => {
  async function expectValidationFailed(change: Promise<unknown>, path: string) {
    const error = await change.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FleetError);
    expect(error).toMatchObject({ code: 'validation_failed' });
    expect((error as FleetError).issues.map((i) => i.path)).toContain(path);
  }

  it('refuses NUL, lone surrogates and deep options with validation_failed, changing nothing', async () => {
    const before = await snapshot();
    const ctx = server.ctx;
    await expectValidationFailed(createGroup(ctx, CLI_ACTOR, { slug: uniqueSlug(), name: NUL }), 'name');
    await expectValidationFailed(
      createGroup(ctx, CLI_ACTOR, { slug: uniqueSlug(), name: 'ok', description: LONE_SURROGATE }),
      'description',
    );
    await expectValidationFailed(
      setAgentLabels(ctx, CLI_ACTOR, { agentId, labels: { env: NUL } }),
      'labels.env',
    );
    for (const options of [{ format: NUL }, nested(MAX_JSON_DEPTH + 1)]) {
      await expectValidationFailed(
        addDraftComponent(ctx, CLI_ACTOR, addSource(groupId, uniqueSlug('in'), options).input),
        'component.options',
      );
    }
    expect(await snapshot()).toEqual(before);
  });
});
