/**
 * Two server replicas sharing one PostgreSQL database and Redis: a heartbeat handled by one
 * reaches a subscriber connected to the other, through the Redis event bus, and ending a credential
 * through one closes its WebSocket connections on the other. PGlite cannot be
 * opened by two servers at once, so this runs in the postgres project only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
} from '../helpers/factories.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { revokeApiToken } from '../../api/fleet/api-tokens.ts';
import { updateUser } from '../../api/fleet/users.ts';
import {
  createTestUser,
  gqlData,
  loginCookie,
  subscribe,
  watchedClient,
  wsClient,
  type Loose,
  type TestUser,
} from './helpers.ts';

const REDIS_URL = process.env.FLOTILLA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('two replicas sharing PostgreSQL and Redis (PostgreSQL only)', () => {
  let first: TestServer;
  let second: TestServer;
  let editor: TestUser;
  beforeAll(async () => {
    first = await startTestServer({ redisUrl: REDIS_URL });
    second = await startTestServer({ redisUrl: REDIS_URL, testDb: first.testDb });
    editor = await createTestUser(first.ctx, 'editor');
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('delivers a heartbeat handled by one replica to an agentUpdated subscriber on the other', async () => {
    const group = await createGroupWithPipeline(first.ctx);
    const agent = await enrolOverHttp(first.baseUrl, await mintToken(first.ctx, group.id));
    const sub = await subscribe(
      second,
      wsClient(second.baseUrl, { token: editor.token }),
      `subscription($id: ID) { agentUpdated(agentId: $id) { agents { id lastHeartbeatAt } } }`,
      {
        id: agent.agentId,
      },
    );
    const res = await postJson(
      first.baseUrl + paths.heartbeat(agent.agentId),
      heartbeatBody(),
      agent.agentToken,
    );
    expect(res.status).toBe(200);
    const message = await sub.next((m) =>
      m.agentUpdated.agents.some((a: Loose) => a.lastHeartbeatAt !== null),
    );
    expect(message.agentUpdated.agents[0].id).toBe(agent.agentId);
    await sub.close();
  });

  it('delivers a change made through one replica to a groupUpdated subscriber on the other', async () => {
    const group = await createGroupWithPipeline(second.ctx);
    const sub = await subscribe(
      first,
      wsClient(first.baseUrl, { token: editor.token }),
      `subscription($id: ID) { groupUpdated(id: $id) { groups { name } } }`,
      { id: group.id },
    );
    await gqlData(
      second.baseUrl,
      `mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { __typename } }`,
      { input: { id: group.id, name: 'Elsewhere' } },
      { token: editor.token },
    );
    const message = await sub.next((m) => m.groupUpdated.groups.some((g: Loose) => g.name === 'Elsewhere'));
    expect(message.groupUpdated.groups).toEqual([{ name: 'Elsewhere' }]);
    await sub.close();
  });

  it('closes a subscriber’s socket on the other replica when its session ends or its token is revoked', async () => {
    const viewer = await createTestUser(first.ctx, 'viewer');
    const bystander = await createTestUser(first.ctx, 'viewer');
    const cookie = await loginCookie(first.baseUrl, viewer.email, viewer.password);
    const SUB = 'subscription { groupUpdated { membershipChanged } }';
    const sessionSocket = watchedClient(second.baseUrl, { cookie, origin: second.baseUrl });
    const tokenSocket = watchedClient(second.baseUrl, { token: viewer.token });
    const bystanderSocket = watchedClient(second.baseUrl, { token: bystander.token });
    const sockets = [sessionSocket, tokenSocket, bystanderSocket];
    try {
      for (const socket of sockets) {
        expect((await subscribe(second, socket.client, SUB)).errors).toEqual([]);
      }
      await gqlData(
        first.baseUrl,
        'mutation { logout(input: {}) { ... on LogoutPayload { endedSessions } } }',
        {},
        { cookie },
      );
      expect(await sessionSocket.closed(2000)).toBe(4403);
      const record = await first.ctx.db.apiToken.findFirstOrThrow({ where: { userId: viewer.id } });
      await revokeApiToken(first.ctx, CLI_ACTOR, { id: record.id });
      expect(await tokenSocket.closed(2000)).toBe(4403);
      expect((await subscribe(second, bystanderSocket.client, SUB)).errors).toEqual([]);
      await updateUser(first.ctx, CLI_ACTOR, { id: bystander.id, disabled: true });
      expect(await bystanderSocket.closed(2000)).toBe(4403);
    } finally {
      await Promise.all(sockets.map((s) => s.client.dispose()));
    }
  });
});
