/** protocol.md → Config polling: GET /api/v1/agents/:id/config?since=N. */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { createGroup, updateGroup } from '../../api/fleet/groups.ts';
import { moveAgents, revokeAgents } from '../../api/fleet/agents.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  changePublishedComponent,
  createGroupWithPipeline,
  enrolOverHttp,
  mintToken,
  uniqueSlug,
  waitFor,
} from '../helpers/factories.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

function poll(agentId: string, token: string, query = 'since=0'): Promise<Response> {
  return fetch(`${server.baseUrl}${paths.config(agentId)}?${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
}

async function enrolledAgent(platform: 'linux' | 'kubernetes' = 'linux') {
  const group = await createGroupWithPipeline(server.ctx);
  const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id), { platform });
  return { group, agent };
}

describe('config polling', () => {
  it('answers 200 with the YAML, version and etag, byte-identical to the stored rendering', async () => {
    const { group, agent } = await enrolledAgent();
    const res = await poll(agent.agentId, agent.agentToken, 'since=0');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/yaml/);
    expect(res.headers.get('x-config-version')).toBe(String(group.configVersion));
    const body = await res.text();
    const hex = crypto.createHash('sha256').update(body).digest('hex');
    expect(res.headers.get('x-config-etag')).toBe(`sha256:${hex}`);
    const stored = await server.ctx.db.renderedConfig.findUniqueOrThrow({
      where: {
        groupId_version_platform: { groupId: group.id, version: group.configVersion, platform: 'linux' },
      },
    });
    expect(body).toBe(stored.yaml);
    expect(body).toContain('demo_logs');
  });

  it('answers 204 with an empty body when since >= the group version, without a database query', async () => {
    const { group, agent } = await enrolledAgent();
    await poll(agent.agentId, agent.agentToken, 'since=0');
    // That 200 is recorded as delivered by the next heartbeat flush: let it land before listening.
    await expect
      .poll(
        async () =>
          (await server.ctx.db.agent.findUniqueOrThrow({ where: { id: agent.agentId } }))
            .deliveredConfigVersion,
      )
      .toBe(group.configVersion);
    const queries: string[] = [];
    const stop = server.testDb.db.onQuery((sql) => queries.push(sql));
    try {
      const res = await poll(agent.agentId, agent.agentToken, `since=${group.configVersion}`);
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      expect((await poll(agent.agentId, agent.agentToken, `since=${group.configVersion + 5}`)).status).toBe(
        204,
      );
    } finally {
      stop();
    }
    expect(queries).toEqual([]);
    // Control: the listener does see the queries of a first poll by an agent not cached yet.
    const { agent: fresh } = await enrolledAgent();
    const stopFresh = server.testDb.db.onQuery((sql) => queries.push(sql));
    await poll(fresh.agentId, fresh.agentToken, 'since=0');
    stopFresh();
    expect(queries.length).toBeGreaterThan(0);
  });

  it('delivers a new version after a group change', async () => {
    const { group, agent } = await enrolledAgent();
    await changePublishedComponent(server.ctx, group.id, 'demo', { options: { format: 'syslog' } });
    const res = await waitFor(async () => {
      const r = await poll(agent.agentId, agent.agentToken, `since=${group.configVersion}`);
      return r.status === 200 ? r : null;
    });
    expect(res.headers.get('x-config-version')).toBe(String(group.configVersion + 1));
    expect(await res.text()).toContain('syslog');
  });

  it('answers {} for a platform with no enabled inputs', async () => {
    const { agent } = await enrolledAgent('kubernetes');
    const group = await createGroup(server.ctx, CLI_ACTOR, { slug: uniqueSlug('empty'), name: 'Empty' });
    await moveAgents(server.ctx, CLI_ACTOR, { agentIds: [agent.agentId], groupId: group.id });
    const res = await waitFor(async () => {
      const r = await poll(agent.agentId, agent.agentToken, 'since=0');
      return r.status === 200 ? r : null;
    });
    expect(await res.text()).toBe('{}');
  });

  it('after a move, answers 200 with the new group’s config whatever since says, then 204', async () => {
    const { agent } = await enrolledAgent();
    const target = await createGroupWithPipeline(server.ctx);
    await updateGroup(server.ctx, CLI_ACTOR, { id: target.id, name: 'Renamed once' });
    await moveAgents(server.ctx, CLI_ACTOR, { agentIds: [agent.agentId], groupId: target.id });
    const moved = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: agent.agentId } });
    expect(moved.appliedConfigVersion).toBe(0);
    const current = await server.ctx.db.group.findUniqueOrThrow({ where: { id: target.id } });
    const res = await waitFor(async () => {
      const r = await poll(agent.agentId, agent.agentToken, 'since=999');
      return r.status === 200 ? r : null;
    });
    expect(res.headers.get('x-config-version')).toBe(String(current.configVersion));
    expect((await poll(agent.agentId, agent.agentToken, `since=${current.configVersion}`)).status).toBe(204);
  });

  it('answers 400 when since is missing or not a non-negative integer, and when wait is out of range', async () => {
    const { agent } = await enrolledAgent();
    for (const query of [
      '',
      'since=',
      'since=-1',
      'since=1.5',
      'since=abc',
      'since=1&wait=0',
      'since=1&wait=61',
    ]) {
      const res = await poll(agent.agentId, agent.agentToken, query);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_query');
    }
  });

  it('answers 401 without a bearer token and 403 for unknown, other-agent and revoked tokens', async () => {
    const { agent } = await enrolledAgent();
    const { agent: other } = await enrolledAgent();
    expect((await fetch(`${server.baseUrl}${paths.config(agent.agentId)}?since=0`)).status).toBe(401);
    expect((await poll(agent.agentId, 'AGT_unknown')).status).toBe(403);
    expect((await poll(agent.agentId, other.agentToken)).status).toBe(403);
    await revokeAgents(server.ctx, CLI_ACTOR, { agentIds: [agent.agentId] });
    const revoked = await waitFor(async () => {
      const r = await poll(agent.agentId, agent.agentToken);
      return r.status === 403 ? r : null;
    });
    expect(((await revoked.json()) as { error: { code: string } }).error.code).toBe('token_revoked');
  });
});
