/**
 * Groups, inputs and outputs over GraphQL: queries (groups, group(slug), configPreview) and
 * mutations with their typed error results.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, uniqueSlug } from '../helpers/factories.ts';
import { createTestUser, gqlData, type TestUser } from './helpers.ts';

let server: TestServer;
let editor: TestUser;
let viewer: TestUser;
beforeAll(async () => {
  server = await startTestServer();
  [editor, viewer] = await Promise.all([
    createTestUser(server.ctx, 'editor'),
    createTestUser(server.ctx, 'viewer'),
  ]);
});
afterAll(() => server.close());

const ERROR = '... on Error { __typename code message fields { path message } }';
const run = (query: string, variables: Record<string, unknown> = {}, user = editor) =>
  gqlData(server.baseUrl, query, variables, { token: user.token });

const CREATE_GROUP = `mutation($input: CreateGroupInput!) {
  createGroup(input: $input) { __typename ... on CreateGroupPayload { group { id slug name configVersion inputs { id } } } ${ERROR} }
}`;
const CREATE_INPUT = `mutation($input: CreateInputInput!) {
  createInput(input: $input) { __typename ... on CreateInputPayload { input { id name type platforms options group { configVersion } } } ${ERROR} }
}`;
const CREATE_OUTPUT = `mutation($input: CreateOutputInput!) {
  createOutput(input: $input) { __typename ... on CreateOutputPayload { output { id name inputIds group { configVersion } } } ${ERROR} }
}`;

async function createGroup(slug = uniqueSlug()) {
  const { createGroup: result } = await run(CREATE_GROUP, { input: { slug, name: `Group ${slug}` } });
  expect(result.__typename).toBe('CreateGroupPayload');
  return result.group as { id: string; slug: string; configVersion: number };
}

describe('group mutations', () => {
  it('creates a group with its first config version and re-reads it with the selection', async () => {
    const slug = uniqueSlug('web');
    const { createGroup: result } = await run(CREATE_GROUP, {
      input: { slug, name: 'Web servers', description: 'nginx' },
    });
    expect(result).toMatchObject({
      __typename: 'CreateGroupPayload',
      group: { slug, name: 'Web servers', configVersion: 1, inputs: [] },
    });
  });

  it('answers ValidationError naming the field, and ConflictError for a taken slug', async () => {
    const bad = await run(CREATE_GROUP, { input: { slug: 'Not A Slug', name: 'x' } });
    expect(bad.createGroup).toMatchObject({
      __typename: 'ValidationError',
      code: 'validation_failed',
      fields: [{ path: 'slug' }],
    });
    const group = await createGroup();
    const taken = await run(CREATE_GROUP, { input: { slug: group.slug, name: 'again' } });
    expect(taken.createGroup).toMatchObject({
      __typename: 'ConflictError',
      code: 'conflict',
      fields: [{ path: 'slug' }],
    });
  });

  it('renames a group (a new config version) and answers NotFoundError for an unknown id', async () => {
    const group = await createGroup();
    const UPDATE = `mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { __typename ... on UpdateGroupPayload { group { name description configVersion } } ${ERROR} } }`;
    const renamed = await run(UPDATE, { input: { id: group.id, name: 'Renamed' } });
    expect(renamed.updateGroup.group).toEqual({ name: 'Renamed', description: '', configVersion: 2 });
    const described = await run(UPDATE, { input: { id: group.id, description: 'only text' } });
    expect(described.updateGroup.group).toMatchObject({ description: 'only text', configVersion: 2 });
    const missing = await run(UPDATE, { input: { id: '00000000-0000-4000-8000-000000000000', name: 'x' } });
    expect(missing.updateGroup).toMatchObject({ __typename: 'NotFoundError', code: 'group_not_found' });
  });

  it('deletes an empty group and refuses one with agents (GroupNotEmptyError)', async () => {
    const DELETE = `mutation($input: DeleteGroupInput!) { deleteGroup(input: $input) { __typename ... on DeleteGroupPayload { deletedGroupId } ${ERROR} } }`;
    const empty = await createGroup();
    expect((await run(DELETE, { input: { id: empty.id } })).deleteGroup).toEqual({
      __typename: 'DeleteGroupPayload',
      deletedGroupId: empty.id,
    });
    const busy = await createGroupWithPipeline(server.ctx);
    await server.ctx.db.agent.create({
      data: {
        groupId: busy.id,
        tokenHash: uniqueSlug('hash'),
        hostname: 'h',
        platform: 'linux',
        os: '',
        kernel: '',
        agentVersion: '0.1.0',
        vectorVersion: '',
      },
    });
    expect((await run(DELETE, { input: { id: busy.id } })).deleteGroup).toMatchObject({
      __typename: 'GroupNotEmptyError',
      code: 'group_not_empty',
    });
  });
});

describe('inputs and outputs', () => {
  it('adds an output and an input, each publishing a version, and previews the YAML agents get', async () => {
    const group = await createGroup();
    const output = await run(CREATE_OUTPUT, {
      input: {
        groupId: group.id,
        name: 'console',
        type: 'console',
        options: { encoding: { codec: 'json' } },
      },
    });
    expect(output.createOutput).toMatchObject({
      __typename: 'CreateOutputPayload',
      output: { name: 'console', inputIds: [], group: { configVersion: 2 } },
    });
    const input = await run(CREATE_INPUT, {
      input: { groupId: group.id, name: 'journal', type: 'journald' },
    });
    expect(input.createInput).toMatchObject({
      __typename: 'CreateInputPayload',
      input: {
        name: 'journal',
        type: 'journald',
        platforms: ['linux'],
        options: {},
        group: { configVersion: 3 },
      },
    });
    const { group: read } = await run(
      `query($slug: String!) { group(slug: $slug) { configVersion inputs { name } outputs { name }
        linux: configPreview(platform: linux) { version platform yaml etag } k8s: configPreview(platform: kubernetes) { yaml } } }`,
      { slug: group.slug },
      viewer,
    );
    expect(read).toMatchObject({
      configVersion: 3,
      inputs: [{ name: 'journal' }],
      outputs: [{ name: 'console' }],
    });
    const stored = await server.ctx.db.renderedConfig.findUniqueOrThrow({
      where: { groupId_version_platform: { groupId: group.id, version: 3, platform: 'linux' } },
    });
    expect(read.linux).toEqual({ version: 3, platform: 'linux', yaml: stored.yaml, etag: stored.etag });
    expect(read.linux.yaml).toContain('journald');
    expect(read.k8s.yaml).not.toContain('journald');
  });

  it('answers ValidationError naming the option path, and NotFoundError for an unknown group', async () => {
    const group = await createGroup();
    const bad = await run(CREATE_OUTPUT, {
      input: { groupId: group.id, name: 'out', type: 'console', options: { encoding: { codec: 'nope' } } },
    });
    expect(bad.createOutput).toMatchObject({
      __typename: 'ValidationError',
      fields: [{ path: 'options.encoding.codec' }],
    });
    const unknownType = await run(CREATE_INPUT, {
      input: { groupId: group.id, name: 'x', type: 'no_such_source' },
    });
    expect(unknownType.createInput).toMatchObject({
      __typename: 'ValidationError',
      fields: [{ path: 'type' }],
    });
    const missing = await run(CREATE_INPUT, {
      input: {
        groupId: '00000000-0000-4000-8000-000000000000',
        name: 'x',
        type: 'demo_logs',
        options: { format: 'json' },
      },
    });
    expect(missing.createInput).toMatchObject({ __typename: 'NotFoundError', code: 'group_not_found' });
  });

  it('updates and deletes inputs and outputs; clearing an override with null', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const [input] = await server.ctx.db.input.findMany({ where: { groupId: group.id } });
    const [output] = await server.ctx.db.output.findMany({ where: { groupId: group.id } });
    const UPDATE_INPUT = `mutation($input: UpdateInputInput!) { updateInput(input: $input) { __typename ... on UpdateInputPayload { input { enabled indexOverride } } ${ERROR} } }`;
    const set = await run(UPDATE_INPUT, { input: { id: input.id, indexOverride: 'main' } });
    expect(set.updateInput.input).toEqual({ enabled: true, indexOverride: 'main' });
    const cleared = await run(UPDATE_INPUT, { input: { id: input.id, indexOverride: null, enabled: false } });
    expect(cleared.updateInput.input).toEqual({ enabled: false, indexOverride: null });
    const UPDATE_OUTPUT = `mutation($input: UpdateOutputInput!) { updateOutput(input: $input) { __typename ... on UpdateOutputPayload { output { inputIds } } ${ERROR} } }`;
    const narrowed = await run(UPDATE_OUTPUT, { input: { id: output.id, inputIds: [input.id] } });
    expect(narrowed.updateOutput.output.inputIds).toEqual([input.id]);
    const foreign = await run(UPDATE_OUTPUT, {
      input: { id: output.id, inputIds: ['00000000-0000-4000-8000-000000000000'] },
    });
    expect(foreign.updateOutput).toMatchObject({
      __typename: 'ValidationError',
      fields: [{ path: 'inputIds' }],
    });
    const DELETE_INPUT = `mutation($input: DeleteInputInput!) { deleteInput(input: $input) { __typename ... on DeleteInputPayload { group { inputs { id } } } ${ERROR} } }`;
    const blocked = await run(DELETE_INPUT, { input: { id: input.id } });
    expect(blocked.deleteInput).toMatchObject({ __typename: 'ConflictError', code: 'conflict' });
    await run(UPDATE_OUTPUT, { input: { id: output.id, inputIds: [] } });
    expect((await run(DELETE_INPUT, { input: { id: input.id } })).deleteInput).toEqual({
      __typename: 'DeleteInputPayload',
      group: { inputs: [] },
    });
    const DELETE_OUTPUT = `mutation($input: DeleteOutputInput!) { deleteOutput(input: $input) { __typename ... on DeleteOutputPayload { group { outputs { id } } } ${ERROR} } }`;
    expect((await run(DELETE_OUTPUT, { input: { id: output.id } })).deleteOutput).toEqual({
      __typename: 'DeleteOutputPayload',
      group: { outputs: [] },
    });
    expect((await run(DELETE_OUTPUT, { input: { id: output.id } })).deleteOutput).toMatchObject({
      __typename: 'NotFoundError',
      code: 'output_not_found',
    });
  });

  it('refuses a change whose config would not pass vector validate (ConfigInvalidError) and keeps the version', async () => {
    const group = await createGroup();
    const result = await run(CREATE_INPUT, {
      input: { groupId: group.id, name: 'demo', type: 'demo_logs', options: { format: 'json' } },
    });
    expect(result.createInput).toMatchObject({ __typename: 'ConfigInvalidError', code: 'config_invalid' });
    expect(result.createInput.fields.length).toBeGreaterThan(0);
    expect((await server.ctx.db.group.findUniqueOrThrow({ where: { id: group.id } })).configVersion).toBe(1);
  });
});

describe('group queries', () => {
  it('pages groups by slug with totalCount and search', async () => {
    const prefix = uniqueSlug('page');
    for (const n of ['a', 'b', 'c']) await createGroup(`${prefix}-${n}`);
    const QUERY = `query($after: String, $search: String) { groups(first: 2, after: $after, search: $search) {
      totalCount edges { node { slug agentCount } } pageInfo { hasNextPage endCursor } } }`;
    const first = (await run(QUERY, { search: prefix }, viewer)).groups;
    expect(first.totalCount).toBe(3);
    expect(first.edges.map((e: { node: { slug: string } }) => e.node.slug)).toEqual([
      `${prefix}-a`,
      `${prefix}-b`,
    ]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await run(QUERY, { search: prefix, after: first.pageInfo.endCursor }, viewer)).groups;
    expect(second.edges).toEqual([{ node: { slug: `${prefix}-c`, agentCount: 0 } }]);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('answers null for an unknown slug', async () => {
    expect((await run('{ group(slug: "nope-nope") { id } }', {}, viewer)).group).toBeNull();
  });
});
