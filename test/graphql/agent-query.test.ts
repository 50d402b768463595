/**
 * The agent query language over GraphQL (both backends): AgentFilter.query in the agents list, its
 * totalCount and bulk mutations; INVALID_AGENT_QUERY errors with position and length; the natural
 * hostname order (web-2 before web-10); agentQueryAssist completions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { enrolAgent, setAgentLabels } from '../../api/fleet/agents.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolBody, mintToken } from '../helpers/factories.ts';
import { createTestUser, gql, gqlData, type Loose, type TestUser } from './helpers.ts';

let server: TestServer;
let editor: TestUser;
let viewer: TestUser;
let slug: string;
const HOSTS = ['node-100', 'node-10', 'node-2', 'node-1', 'Node-3', 'db-1'];

beforeAll(async () => {
  server = await startTestServer();
  editor = await createTestUser(server.ctx, 'editor');
  viewer = await createTestUser(server.ctx, 'viewer');
  const group = await createGroupWithPipeline(server.ctx);
  slug = group.slug;
  const token = await mintToken(server.ctx, group.id, HOSTS.length);
  for (const hostname of HOSTS) {
    const agentVersion = hostname === 'node-100' ? '0.3.0' : '0.1.0';
    const { agent } = await enrolAgent(server.ctx, enrolBody(token, { hostname, agentVersion }));
    const labels = hostname.startsWith('db') ? { role: 'database' } : { role: 'web', env: 'prod' };
    await setAgentLabels(server.ctx, CLI_ACTOR, { agentId: agent.id, labels });
  }
});
afterAll(() => server.close());

const AGENTS = `query($filter: AgentFilter, $orderBy: AgentOrder) {
  agents(filter: $filter, orderBy: $orderBy, first: 50) { totalCount edges { node { hostname } } }
}`;

async function hostnames(filter: Loose | null, orderBy?: Loose) {
  const data = await gqlData(server.baseUrl, AGENTS, { filter, orderBy }, { token: viewer.token });
  return { total: data.agents.totalCount, hosts: data.agents.edges.map((e: Loose) => e.node.hostname) };
}

describe('AgentFilter.query', () => {
  it('sorts hostnames naturally on the server, both ways', async () => {
    const natural = ['db-1', 'node-1', 'node-2', 'Node-3', 'node-10', 'node-100'];
    expect((await hostnames(null)).hosts).toEqual(natural);
    const desc = await hostnames(null, { field: 'hostname', direction: 'desc' });
    expect(desc.hosts).toEqual([...natural].reverse());
  });

  it('filters the list and its totalCount alike, ANDed with the other fields', async () => {
    expect(await hostnames({ query: `group:${slug} label.env=prod agentVersion<0.2.0 "node-1*"` })).toEqual({
      total: 2,
      hosts: ['node-1', 'node-10'],
    });
    expect(await hostnames({ query: '-label.env', hostname: 'db' })).toEqual({ total: 1, hosts: ['db-1'] });
    expect(await hostnames({ query: 'status:online' })).toEqual({ total: 0, hosts: [] });
  });

  it('fails a malformed query with INVALID_AGENT_QUERY, position and length', async () => {
    const res = await gql(
      server.baseUrl,
      AGENTS,
      { filter: { query: 'status:gone web' } },
      { token: viewer.token },
    );
    expect(res.data).toBeNull();
    expect(res.errors?.[0]).toMatchObject({
      message: expect.stringContaining('filter.query: status is one of online, offline, never_seen'),
      extensions: { code: 'INVALID_AGENT_QUERY', position: 7, length: 4 },
    });
  });

  it('selects the same agents in bulk mutations, and refuses malformed queries there too', async () => {
    const REVOKE = `mutation($input: RevokeAgentsInput!) {
      revokeAgents(input: $input) { __typename ... on RevokeAgentsPayload { count agents { hostname } } }
    }`;
    const bad = await gql(
      server.baseUrl,
      REVOKE,
      { input: { filter: { query: 'node-(' } } },
      { token: editor.token },
    );
    expect(bad.errors?.[0]?.extensions).toMatchObject({
      code: 'INVALID_AGENT_QUERY',
      position: 6,
      length: 0,
    });
    const done = await gqlData(
      server.baseUrl,
      REVOKE,
      {
        input: {
          filter: { query: '(agentVersion>=0.3 hostname:none) OR hostname:node-2 OR hostname:node-10' },
        },
      },
      { token: editor.token },
    );
    expect(done.revokeAgents).toEqual({
      __typename: 'RevokeAgentsPayload',
      count: 2,
      agents: [{ hostname: 'node-2' }, { hostname: 'node-10' }],
    });
    expect((await hostnames({ query: 'node' })).hosts).toEqual(['node-1', 'Node-3', 'node-100']);
  });
});

const ASSIST = `query($query: String!, $cursor: Int!) {
  agentQueryAssist(query: $query, cursor: $cursor) {
    error { message position length }
    suggestions { label insertText detail replaceFrom replaceTo }
  }
}`;

async function assist(query: string, cursor = query.length) {
  const data = await gqlData(server.baseUrl, ASSIST, { query, cursor }, { token: viewer.token });
  return data.agentQueryAssist as { error: Loose | null; suggestions: Loose[] };
}

describe('agentQueryAssist', () => {
  it('suggests field names at the start of a term', async () => {
    const all = await assist('');
    expect(all.suggestions.map((s) => s.label)).toEqual([
      'status',
      'configStatus',
      'group',
      'platform',
      'hostname',
      'agentVersion',
      'vectorVersion',
      'error',
      'label.',
    ]);
    const some = await assist('status:online -ag');
    expect(some.suggestions).toEqual([
      expect.objectContaining({
        label: 'agentVersion',
        insertText: 'agentVersion:',
        replaceFrom: 15,
        replaceTo: 17,
      }),
    ]);
    expect(some.error).toBeNull();
    expect((await assist('status:online colour:red')).error).toMatchObject({ position: 14, length: 6 });
  });

  it('suggests values after field:, label keys after label. and label values after label.key=', async () => {
    const labels = (r: { suggestions: Loose[] }) => r.suggestions.map((s) => s.label);
    expect(labels(await assist('status:o'))).toEqual(['online', 'offline']);
    expect(await assist('status:o')).toMatchObject({
      error: { position: 7, length: 1 },
      suggestions: [{ insertText: 'online', replaceFrom: 7, replaceTo: 8 }, { insertText: 'offline' }],
    });
    expect(labels(await assist('configStatus:'))).toEqual([
      'up_to_date',
      'updating',
      'behind',
      'failed',
      'drifted',
    ]);
    expect(labels(await assist('group:'))).toContain(slug);
    expect(labels(await assist('agentVersion:'))).toEqual(['0.3.0', '0.1.0']);
    expect(labels(await assist('label.'))).toEqual(['label.env', 'label.role']);
    expect((await assist('label.r')).suggestions).toEqual([
      { label: 'label.role', insertText: 'label.role=', detail: 'label value', replaceFrom: 0, replaceTo: 7 },
    ]);
    expect(labels(await assist('label.role='))).toEqual(['database', 'web']);
    const mid = await assist('status:online hostname:NODE-1 x', 28);
    expect(labels(mid)).toEqual(['node-1', 'Node-3', 'node-100']);
    expect(mid.suggestions[0]).toMatchObject({ replaceFrom: 23, replaceTo: 29 });
    expect(labels(await assist('hostname:node-1'))).toEqual(['node-1', 'node-100']);
    expect(mid.error).toBeNull();
  });
});
