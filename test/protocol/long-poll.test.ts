/** protocol.md → Config polling, long-poll paragraph: `?wait=S` holds an up-to-date poll. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { moveAgents, revokeAgents } from '../../api/fleet/agents.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { testBackend } from '../helpers/db.ts';
import {
  changePublishedComponent,
  createGroupWithPipeline,
  enrolOverHttp,
  mintToken,
  waitFor,
} from '../helpers/factories.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

function poll(base: string, agentId: string, token: string, query: string): Promise<Response> {
  return fetch(`${base}${paths.config(agentId)}?${query}`, { headers: { authorization: `Bearer ${token}` } });
}

/** Send a poll with `wait` and resolve once `target` holds it; the promise in the result is its answer. */
async function held(
  target: TestServer,
  agent: { agentId: string; agentToken: string },
  since: number,
  wait = 30,
): Promise<{ answer: Promise<Response> }> {
  const answer = poll(target.baseUrl, agent.agentId, agent.agentToken, `since=${since}&wait=${wait}`);
  await waitFor(() => target.app.longPolls.size === 1);
  return { answer };
}

async function enrolled(target: TestServer = server) {
  const group = await createGroupWithPipeline(target.ctx);
  const agent = await enrolOverHttp(target.baseUrl, await mintToken(target.ctx, group.id));
  return { group, agent };
}

describe('long-poll', () => {
  it('advertises x-long-poll-max and answers 204 after S seconds when nothing changes', async () => {
    const { group, agent } = await enrolled();
    const plain = await poll(server.baseUrl, agent.agentId, agent.agentToken, `since=${group.configVersion}`);
    expect(plain.status).toBe(204);
    expect(plain.headers.get('x-long-poll-max')).toBe('60');
    const started = Date.now();
    const held = await poll(
      server.baseUrl,
      agent.agentId,
      agent.agentToken,
      `since=${group.configVersion}&wait=1`,
    );
    expect(held.status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(server.app.longPolls.size).toBe(0);
  });

  it('answers a held poll with the new config as soon as the version moves', async () => {
    const { group, agent } = await enrolled();
    const { answer: pending } = await held(server, agent, group.configVersion);
    await changePublishedComponent(server.ctx, group.id, 'demo', { options: { format: 'apache_common' } });
    // 200, not the 204 of a timeout: the change answered it (30 s is beyond the test's timeout).
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get('x-config-version')).toBe(String(group.configVersion + 1));
    expect(await res.text()).toContain('apache_common');
  });

  it('answers a held poll at once when the agent is moved (200) or revoked (403)', async () => {
    const { group, agent } = await enrolled();
    const target = await createGroupWithPipeline(server.ctx);
    const { answer: moved } = await held(server, agent, group.configVersion);
    await moveAgents(server.ctx, CLI_ACTOR, { agentIds: [agent.agentId], groupId: target.id });
    const movedRes = await moved;
    expect(movedRes.status).toBe(200);
    expect(movedRes.headers.get('x-config-version')).toBe(String(target.configVersion));

    const { answer: revoked } = await held(server, agent, target.configVersion);
    await revokeAgents(server.ctx, CLI_ACTOR, { agentIds: [agent.agentId] });
    const revokedRes = await revoked;
    expect(revokedRes.status).toBe(403);
    expect(((await revokedRes.json()) as { error: { code: string } }).error.code).toBe('token_revoked');
  });

  it('keeps holding a poll through a change that leaves its desired version where it was', async () => {
    const { group, agent } = await enrolled();
    const { answer: pending } = await held(server, agent, group.configVersion);
    let settled = false;
    void pending.then(() => (settled = true));
    // What acknowledging a config reset publishes: the directory re-reads the agent and wakes its poll.
    let refreshed = false;
    const unwatch = server.app.directory.watch({ agentChanged: () => (refreshed = true) });
    try {
      server.ctx.events.publish('agentUpdated', {
        agentId: agent.agentId,
        groupId: group.id,
        change: 'config',
      });
      await waitFor(() => refreshed);
    } finally {
      unwatch();
    }
    expect(server.app.longPolls.size).toBe(1);
    expect(settled).toBe(false);
    await changePublishedComponent(server.ctx, group.id, 'demo', { options: { format: 'apache_common' } });
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get('x-config-version')).toBe(String(group.configVersion + 1));
  });

  it('answers held polls 204 at once when the server shuts down', async () => {
    const extra = await startTestServer();
    try {
      const { group, agent } = await enrolled(extra);
      const { answer: pending } = await held(extra, agent, group.configVersion, 60);
      await extra.app.stop();
      // Answered before the test's timeout, far below wait=60: the shutdown answered it.
      const res = await pending;
      expect(res.status).toBe(204);
      expect(extra.app.longPolls.size).toBe(0);
    } finally {
      await extra.events.close();
      await extra.testDb.destroy();
    }
  });

  // Two processes cannot share one PGlite directory, so replicas are tested on PostgreSQL only.
  if (testBackend() === 'postgres')
    describe('with two replicas sharing PostgreSQL and Redis', () => {
      it('a change made through one replica wakes a poll held on the other', async () => {
        const redisUrl = process.env.FLOTILLA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
        const a = await startTestServer({ redisUrl });
        const b = await startTestServer({ redisUrl, testDb: a.testDb });
        try {
          const { group, agent } = await enrolled(a);
          const { answer: pending } = await held(b, agent, group.configVersion);
          await changePublishedComponent(a.ctx, group.id, 'demo', { options: { format: 'bsd_syslog' } });
          const res = await pending;
          expect(res.status).toBe(200);
          expect(await res.text()).toContain('bsd_syslog');
        } finally {
          await b.close();
          await a.close();
        }
      });
    });
});
