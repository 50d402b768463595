/**
 * Agents over GraphQL: the agents connection (every filter, sorting, paging, no N+1), agent(id)
 * with actions, config error and desired vs applied version, and move / revoke / labels.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolAgent } from '../../api/fleet/agents.ts';
import { paths } from '../../api/protocol/v1.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolBody,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
  waitFor,
  type EnrolledTestAgent,
} from '../helpers/factories.ts';
import { createTestUser, gqlData, type TestUser } from './helpers.ts';
import type { Group } from '../../api/generated/prisma/client.ts';

let server: TestServer;
let editor: TestUser;
let web: Group;
let db: Group;
/** web-1 online and up to date; web-2 online, updating (behind, but online), k8s, labelled; db-1 failed config; db-2 never seen; db-3 offline. */
const agents: Record<string, EnrolledTestAgent> = {};

async function heartbeat(agent: EnrolledTestAgent, overrides: Parameters<typeof heartbeatBody>[0] = {}) {
  const res = await postJson(
    server.baseUrl + paths.heartbeat(agent.agentId),
    heartbeatBody(overrides),
    agent.agentToken,
  );
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  // No sweep while statements are counted: its three statements would land in a count when the
  // machine is slow enough for a count to span a sweep (the default interval is 30 s).
  server = await startTestServer({
    env: { FLOTILLA_ENROL_RATE_LIMIT: '1000', FLOTILLA_SWEEP_INTERVAL_SECONDS: '3600' },
  });
  editor = await createTestUser(server.ctx, 'editor');
  web = await createGroupWithPipeline(server.ctx);
  db = await createGroupWithPipeline(server.ctx);
  const webToken = await mintToken(server.ctx, web.id);
  const dbToken = await mintToken(server.ctx, db.id);
  agents.web1 = await enrolOverHttp(server.baseUrl, webToken, {
    hostname: 'web-1.prod.example.com',
    agentVersion: '0.2.0',
  });
  agents.web2 = await enrolOverHttp(server.baseUrl, webToken, {
    hostname: 'web-2.prod.example.com',
    platform: 'kubernetes',
    vectorVersion: '0.59.0',
  });
  agents.db1 = await enrolOverHttp(server.baseUrl, dbToken, { hostname: 'db-1.prod.example.com' });
  agents.db2 = await enrolOverHttp(server.baseUrl, dbToken, { hostname: 'db-2.prod.example.com' });
  agents.db3 = await enrolOverHttp(server.baseUrl, dbToken, { hostname: 'db-3.prod.example.com' });
  await heartbeat(agents.web1, { appliedConfigVersion: web.configVersion, agentVersion: '0.2.0' });
  await heartbeat(agents.web2, { appliedConfigVersion: web.configVersion - 1, vectorVersion: '0.59.0' });
  await heartbeat(agents.db1, {
    appliedConfigVersion: db.configVersion - 1,
    configError: { version: db.configVersion, message: 'bad sink' },
  });
  await heartbeat(agents.db3, { appliedConfigVersion: db.configVersion });
  await server.app.heartbeats.flush();
  await server.ctx.db.agent.update({
    where: { id: agents.db3.agentId },
    data: { lastHeartbeatAt: new Date(Date.now() - 3_600_000) },
  });
  await server.ctx.db.agent.update({
    where: { id: agents.web2.agentId },
    data: { labels: { env: 'prod', tier: 'edge' } },
  });
});
afterAll(() => server.close());

const run = (query: string, variables: Record<string, unknown> = {}) =>
  gqlData(server.baseUrl, query, variables, { token: editor.token });

const HOSTNAMES = `query($filter: AgentFilter, $orderBy: AgentOrder, $first: Int, $after: String) {
  agents(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount edges { node { hostname } } pageInfo { hasNextPage endCursor }
  }
}`;

async function hostnames(
  filter: Record<string, unknown>,
  orderBy?: Record<string, unknown>,
): Promise<string[]> {
  const { agents: page } = await run(HOSTNAMES, {
    filter: { groupIds: [web.id, db.id], ...filter },
    orderBy,
  });
  return page.edges.map((e: { node: { hostname: string } }) => e.node.hostname.split('.')[0]);
}

describe('agents connection', () => {
  it('filters by status: online, offline, never seen', async () => {
    expect(await hostnames({ statuses: ['online'] })).toEqual(['db-1', 'web-1', 'web-2']);
    expect(await hostnames({ statuses: ['offline'] })).toEqual(['db-3']);
    expect(await hostnames({ statuses: ['never_seen'] })).toEqual(['db-2']);
    expect(await hostnames({ statuses: ['offline', 'never_seen'] })).toEqual(['db-2', 'db-3']);
  });

  it('filters by config status: up to date, updating (online), behind (not online), failed', async () => {
    expect(await hostnames({ configStatuses: ['up_to_date'] })).toEqual(['db-3', 'web-1']);
    expect(await hostnames({ configStatuses: ['updating'] })).toEqual(['web-2']);
    expect(await hostnames({ configStatuses: ['behind'] })).toEqual(['db-2']);
    expect(await hostnames({ configStatuses: ['failed'] })).toEqual(['db-1']);
  });

  it('filters by group, versions, platform, label and hostname search', async () => {
    expect(await hostnames({ groupIds: [web.id] })).toEqual(['web-1', 'web-2']);
    expect(await hostnames({ agentVersions: ['0.2.0'] })).toEqual(['web-1']);
    expect(await hostnames({ vectorVersions: ['0.59.0'] })).toEqual(['web-2']);
    expect(await hostnames({ platforms: ['kubernetes'] })).toEqual(['web-2']);
    expect(await hostnames({ labels: [{ key: 'env', value: 'prod' }] })).toEqual(['web-2']);
    expect(
      await hostnames({
        labels: [
          { key: 'env', value: 'prod' },
          { key: 'tier', value: 'db' },
        ],
      }),
    ).toEqual([]);
    expect(await hostnames({ hostname: 'DB-' })).toEqual(['db-1', 'db-2', 'db-3']);
  });

  it('sorts by hostname or last heartbeat, either direction', async () => {
    expect(await hostnames({}, { field: 'hostname', direction: 'desc' })).toEqual([
      'web-2',
      'web-1',
      'db-3',
      'db-2',
      'db-1',
    ]);
    const byHeartbeat = await hostnames(
      { statuses: ['online', 'offline'] },
      { field: 'last_heartbeat_at', direction: 'asc' },
    );
    expect(byHeartbeat[0]).toBe('db-3');
  });

  it('pages with cursors and reports totalCount', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 3; page++) {
      const { agents: result } = await run(HOSTNAMES, {
        filter: { groupIds: [web.id, db.id] },
        first: 2,
        after,
      });
      expect(result.totalCount).toBe(5);
      seen.push(...result.edges.map((e: { node: { hostname: string } }) => e.node.hostname.split('.')[0]));
      after = result.pageInfo.endCursor;
      if (!result.pageInfo.hasNextPage) break;
    }
    expect(seen).toEqual(['db-1', 'db-2', 'db-3', 'web-1', 'web-2']);
  });

  it('reads a page of 100 agents with their group, actions and config status in a bounded number of statements', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const token = await mintToken(server.ctx, group.id, 200);
    const statementsFor = async (count: number) => {
      while ((await server.ctx.db.agent.count({ where: { groupId: group.id } })) < count) {
        await enrolAgent(server.ctx, enrolBody(token));
      }
      const statements: string[] = [];
      const stop = server.testDb.db.onQuery((sql) => statements.push(sql));
      try {
        const { agents: page } = await run(
          `query($groupIds: [ID!]) { agents(first: 100, filter: { groupIds: $groupIds, configStatuses: [behind, up_to_date] }) {
            totalCount edges { node { id hostname status configStatus desiredConfigVersion appliedConfigVersion labels { key value }
              group { id slug name configVersion agentCount } actions(first: 3) { totalCount edges { node { id status } } } } } } }`,
          { groupIds: [group.id] },
        );
        expect(page.edges).toHaveLength(count);
        expect(page.edges[0].node.group.slug).toBe(group.slug);
      } finally {
        stop();
      }
      return statements.length;
    };
    await run('{ viewer { role } }'); // API tokens record their last use at most once a minute
    // The periodic jobs' own statements (rollouts due? offline sweep) must not land in the count.
    const jobs = [server.app.sweeper, server.app.rollouts, server.app.alerts, server.app.retention];
    await Promise.all(jobs.map((job) => job.stop()));
    try {
      const forTen = await statementsFor(10);
      const forHundred = await statementsFor(100);
      expect(forHundred).toBe(forTen);
      // Agents, count, groups' baselines and pins, each agent's pin, groups, actions, action counts.
      expect(forHundred).toBeLessThanOrEqual(8);
    } finally {
      for (const job of jobs) job.start();
    }
  });
});

describe('agent(id)', () => {
  it('shows status, desired vs applied version, the config error and its actions', async () => {
    const { agent } = await run(
      `query($id: ID!) { agent(id: $id) { hostname status configStatus appliedConfigVersion desiredConfigVersion
        configError { version message } group { slug } actions { totalCount } revoked } }`,
      { id: agents.db1.agentId },
    );
    expect(agent).toEqual({
      hostname: 'db-1.prod.example.com',
      status: 'online',
      configStatus: 'failed',
      appliedConfigVersion: db.configVersion - 1,
      desiredConfigVersion: db.configVersion,
      configError: { version: db.configVersion, message: 'bad sink' },
      group: { slug: db.slug },
      actions: { totalCount: 0 },
      revoked: false,
    });
  });

  it('answers null for unknown and malformed ids', async () => {
    expect((await run('{ agent(id: "00000000-0000-4000-8000-000000000000") { id } }')).agent).toBeNull();
    expect((await run('{ agent(id: "not-a-uuid") { id } }')).agent).toBeNull();
  });
});

describe('agent mutations', () => {
  const ERROR = '... on Error { __typename code fields { path } }';

  it('replaces labels, naming a bad key in ValidationError', async () => {
    const SET = `mutation($input: SetAgentLabelsInput!) { setAgentLabels(input: $input) { __typename ... on SetAgentLabelsPayload { agent { labels { key value } } } ${ERROR} } }`;
    const ok = await run(SET, {
      input: {
        agentId: agents.web1.agentId,
        labels: [
          { key: 'zone', value: 'b' },
          { key: 'app', value: 'shop' },
        ],
      },
    });
    expect(ok.setAgentLabels.agent.labels).toEqual([
      { key: 'app', value: 'shop' },
      { key: 'zone', value: 'b' },
    ]);
    const bad = await run(SET, {
      input: { agentId: agents.web1.agentId, labels: [{ key: ' spaces ', value: 'x' }] },
    });
    expect(bad.setAgentLabels).toMatchObject({ __typename: 'ValidationError', code: 'validation_failed' });
    expect(bad.setAgentLabels.fields[0].path).toMatch(/^labels/);
  });

  it('moves agents to another group and answers NotFoundError for an unknown group', async () => {
    const target = await createGroupWithPipeline(server.ctx);
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, web.id));
    const MOVE = `mutation($input: MoveAgentsInput!) { moveAgents(input: $input) { __typename ... on MoveAgentsPayload { agents { id appliedConfigVersion group { id } } } ${ERROR} } }`;
    const moved = await run(MOVE, { input: { agentIds: [agent.agentId], groupId: target.id } });
    expect(moved.moveAgents.agents).toEqual([
      { id: agent.agentId, appliedConfigVersion: 0, group: { id: target.id } },
    ]);
    const missing = await run(MOVE, {
      input: { agentIds: [agent.agentId], groupId: '00000000-0000-4000-8000-000000000000' },
    });
    expect(missing.moveAgents).toMatchObject({ __typename: 'NotFoundError', code: 'group_not_found' });
  });

  it('revokes agents: they leave the default list and their token is refused', async () => {
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, web.id), {
      hostname: 'gone.example.com',
    });
    const REVOKE = `mutation($input: RevokeAgentsInput!) { revokeAgents(input: $input) { __typename ... on RevokeAgentsPayload { agents { id revoked } } ${ERROR} } }`;
    const result = await run(REVOKE, { input: { agentIds: [agent.agentId] } });
    expect(result.revokeAgents.agents).toEqual([{ id: agent.agentId, revoked: true }]);
    expect(await hostnames({ hostname: 'gone' })).toEqual([]);
    expect(await hostnames({ hostname: 'gone', includeRevoked: true })).toEqual(['gone']);
    await waitFor(async () => {
      const res = await postJson(
        server.baseUrl + paths.heartbeat(agent.agentId),
        heartbeatBody(),
        agent.agentToken,
      );
      return res.status === 403;
    });
    const unknown = await run(REVOKE, { input: { agentIds: ['00000000-0000-4000-8000-000000000000'] } });
    expect(unknown.revokeAgents).toMatchObject({ __typename: 'NotFoundError', code: 'agent_not_found' });
  });
});
