/**
 * Actions over GraphQL: create for one agent, in bulk by ids or by an agent filter, cancel, the
 * actions connection with its filters, and the typed errors of each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerRelease } from '../../api/fleet/releases.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  mintToken,
  type EnrolledTestAgent,
} from '../helpers/factories.ts';
import { createTestUser, gql, gqlData, type TestUser } from './helpers.ts';

let server: TestServer;
let editor: TestUser;
let fleet: EnrolledTestAgent[];
let groupId: string;
beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_ENROL_RATE_LIMIT: '1000' } });
  editor = await createTestUser(server.ctx, 'editor');
  await registerRelease(server.ctx, { version: '0.3.0', bundle: Buffer.from('console.log("agent 0.3.0")') });
  const group = await createGroupWithPipeline(server.ctx);
  groupId = group.id;
  const token = await mintToken(server.ctx, group.id);
  fleet = [];
  for (const hostname of ['a1.example.com', 'a2.example.com', 'a3.example.com'])
    fleet.push(await enrolOverHttp(server.baseUrl, token, { hostname }));
});
afterAll(() => server.close());

const run = (query: string, variables: Record<string, unknown> = {}) =>
  gqlData(server.baseUrl, query, variables, { token: editor.token });
const ERROR = '... on Error { __typename code message fields { path } }';
const CREATE = `mutation($input: CreateActionInput!) {
  createAction(input: $input) { __typename ... on CreateActionPayload { action { id type status payload bulkId createdBy agent { id } } } ${ERROR} }
}`;
const BULK = `mutation($input: CreateBulkActionInput!) {
  createBulkAction(input: $input) { __typename ... on CreateBulkActionPayload { bulkId count } ${ERROR} }
}`;
const upgrade = { type: 'upgrade_agent', payload: { targetVersion: '0.3.0' } };

describe('action mutations', () => {
  it('queues an action for one agent with the release checksum added', async () => {
    const { createAction } = await run(CREATE, { input: { agentId: fleet[0].agentId, ...upgrade } });
    expect(createAction).toMatchObject({
      __typename: 'CreateActionPayload',
      // The agent was never heard from: the action waits for it (offline policy deliver).
      action: { type: 'upgrade_agent', status: 'waiting', bulkId: null, agent: { id: fleet[0].agentId } },
    });
    expect(createAction.action.payload).toMatchObject({
      targetVersion: '0.3.0',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(createAction.action.createdBy).toContain(editor.email);
  });

  it('answers NotFoundError for an unknown release (naming payload.targetVersion) or agent', async () => {
    const release = await run(CREATE, {
      input: { agentId: fleet[0].agentId, type: 'upgrade_agent', payload: { targetVersion: '9.9.9' } },
    });
    expect(release.createAction).toMatchObject({
      __typename: 'NotFoundError',
      code: 'release_not_found',
      fields: [{ path: 'payload.targetVersion' }],
    });
    const agent = await run(CREATE, {
      input: { agentId: '00000000-0000-4000-8000-000000000000', ...upgrade },
    });
    expect(agent.createAction).toMatchObject({ __typename: 'NotFoundError', code: 'agent_not_found' });
    const payload = await run(CREATE, {
      input: { agentId: fleet[0].agentId, type: 'upgrade_agent', payload: { targetVersion: 'latest' } },
    });
    expect(payload.createAction).toMatchObject({
      __typename: 'ValidationError',
      fields: [{ path: 'payload.targetVersion' }],
    });
  });

  it('queues a bulk action by ids, tied by one bulk id', async () => {
    const ids = fleet.map((a) => a.agentId);
    const { createBulkAction } = await run(BULK, { input: { agentIds: ids, ...upgrade } });
    expect(createBulkAction).toMatchObject({ __typename: 'CreateBulkActionPayload', count: 3 });
    const { actions } = await run(
      `query($bulkId: ID) { actions(filter: { bulkId: $bulkId }) { totalCount edges { node { agent { id } bulkId } } } }`,
      {
        bulkId: createBulkAction.bulkId,
      },
    );
    expect(actions.totalCount).toBe(3);
    expect(actions.edges.map((e: { node: { agent: { id: string } } }) => e.node.agent.id).sort()).toEqual(
      [...ids].sort(),
    );
  });

  it('queues a bulk action by agent filter, and refuses a filter matching nothing or both targets', async () => {
    const byFilter = await run(BULK, {
      input: { filter: { groupIds: [groupId], hostname: 'a2.' }, ...upgrade },
    });
    expect(byFilter.createBulkAction).toMatchObject({
      __typename: 'CreateBulkActionPayload',
      count: 1,
      bulkId: expect.any(String),
    });
    const none = await run(BULK, { input: { filter: { hostname: 'no-such-host' }, ...upgrade } });
    expect(none.createBulkAction).toMatchObject({
      __typename: 'ValidationError',
      fields: [{ path: 'filter' }],
    });
    const both = await run(BULK, {
      input: { agentIds: [fleet[0].agentId], filter: { groupIds: [groupId] }, ...upgrade },
    });
    expect(both.createBulkAction).toMatchObject({
      __typename: 'ValidationError',
      fields: [{ path: 'agentIds' }],
    });
  });

  it('cancels a pending action, then answers InvalidTransitionError and NotFoundError', async () => {
    const { createAction } = await run(CREATE, { input: { agentId: fleet[1].agentId, ...upgrade } });
    const CANCEL = `mutation($input: CancelActionInput!) { cancelAction(input: $input) { __typename ... on CancelActionPayload { action { status finishedAt cancellable } } ${ERROR} } }`;
    const cancelled = await run(CANCEL, { input: { id: createAction.action.id } });
    expect(cancelled.cancelAction).toMatchObject({
      __typename: 'CancelActionPayload',
      action: { status: 'cancelled', cancellable: false },
    });
    const again = await run(CANCEL, { input: { id: createAction.action.id } });
    expect(again.cancelAction).toMatchObject({
      __typename: 'InvalidTransitionError',
      code: 'invalid_transition',
    });
    const missing = await run(CANCEL, { input: { id: '00000000-0000-4000-8000-000000000000' } });
    expect(missing.cancelAction).toMatchObject({ __typename: 'NotFoundError', code: 'action_not_found' });
  });

  it('cancels every pending action of a bulk request in one call, leaving running ones alone', async () => {
    const other = await createGroupWithPipeline(server.ctx);
    const token = await mintToken(server.ctx, other.id);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await enrolOverHttp(server.baseUrl, token)).agentId);
    const { createBulkAction } = await run(BULK, { input: { agentIds: ids, ...upgrade } });
    const bulkId = createBulkAction.bulkId as string;
    const running = await server.ctx.db.action.findFirstOrThrow({ where: { bulkId, agentId: ids[0] } });
    await server.ctx.db.action.update({ where: { id: running.id }, data: { status: 'running' } });
    const CANCEL_BULK = `mutation($input: CancelBulkActionInput!) { cancelBulkAction(input: $input) { __typename ... on CancelBulkActionPayload { cancelled } ${ERROR} } }`;
    const cancelled = await run(CANCEL_BULK, { input: { bulkId } });
    expect(cancelled.cancelBulkAction).toEqual({
      __typename: 'CancelBulkActionPayload',
      cancelled: ids.length - 1,
    });
    const statuses = await server.ctx.db.action.findMany({ where: { bulkId }, select: { status: true } });
    expect(statuses.map((a) => a.status).sort()).toEqual(
      [...Array(ids.length - 1).fill('cancelled'), 'running'].sort(),
    );
    const missing = await run(CANCEL_BULK, { input: { bulkId: '00000000-0000-4000-8000-000000000000' } });
    expect(missing.cancelBulkAction).toMatchObject({ __typename: 'NotFoundError', code: 'action_not_found' });
  });
});

describe('actions queries', () => {
  it('filters by agent, status and type, newest first, and reads one by id', async () => {
    const { actions } = await run(
      `query($agentIds: [ID!]) { actions(filter: { agentIds: $agentIds, statuses: [cancelled], types: ["upgrade_agent"] }) {
        totalCount edges { node { id status agent { hostname } } } } }`,
      { agentIds: [fleet[1].agentId] },
    );
    expect(actions.totalCount).toBe(1);
    expect(actions.edges[0].node).toMatchObject({
      status: 'cancelled',
      agent: { hostname: 'a2.example.com' },
    });
    const { action } = await run(`query($id: ID!) { action(id: $id) { id status } }`, {
      id: actions.edges[0].node.id,
    });
    expect(action).toEqual({ id: actions.edges[0].node.id, status: 'cancelled' });
    const { agent } = await run(
      `query($id: ID!) { agent(id: $id) { actions(first: 10) { totalCount edges { node { status } } } } }`,
      { id: fleet[1].agentId },
    );
    expect(agent.actions.totalCount).toBeGreaterThanOrEqual(2);
    expect(agent.actions.edges[0].node.status).toBe('cancelled');
  });

  it('refuses malformed ids in filters as BAD_USER_INPUT', async () => {
    const res = await gql(
      server.baseUrl,
      '{ actions(filter: { agentIds: ["x"] }) { totalCount } }',
      {},
      { token: editor.token },
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
