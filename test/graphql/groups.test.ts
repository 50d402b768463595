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
  createGroup(input: $input) { __typename ... on CreateGroupPayload { group { id slug name configVersion draftRevision } } ${ERROR} }
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
      group: { slug, name: 'Web servers', configVersion: 1, draftRevision: 0 },
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
