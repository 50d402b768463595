/**
 * The token cache of the agent routes (api/rest/auth.ts: each known Authorization header is
 * remembered with its hash): on one keep-alive socket and on a new one, a revoke, a move and a
 * different token are seen by the very next request. A rotation retiring a remembered token is in
 * drift-rotation.test.ts.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { moveAgents, revokeAgents } from '../../api/fleet/agents.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolOverHttp, mintToken } from '../helpers/factories.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

interface Answer {
  status: number;
  reused: boolean;
  version: string | undefined;
  code: string | undefined;
}

/** One socket for every request of a test (keep-alive, at most one connection). */
function connection() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const poll = (agentId: string, token: string, since: number): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = http.get(
        `${server.baseUrl}${paths.config(agentId)}?since=${since}`,
        { agent, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              reused: req.reusedSocket,
              version: res.headers['x-config-version'] as string | undefined,
              code:
                res.statusCode === 403
                  ? (JSON.parse(body) as { error: { code: string } }).error.code
                  : undefined,
            }),
          );
        },
      );
      req.on('error', reject);
    });
  return { poll, close: () => agent.destroy() };
}

async function enrolled() {
  const group = await createGroupWithPipeline(server.ctx);
  const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
  return { group, agent };
}

describe('agent token cache', () => {
  it('answers 403 token_revoked on the same socket and on a new one right after a revoke', async () => {
    const { group, agent } = await enrolled();
    const c = connection();
    const other = connection();
    try {
      expect(await c.poll(agent.agentId, agent.agentToken, group.configVersion)).toMatchObject({
        status: 204,
      });
      await revokeAgents(server.ctx, CLI_ACTOR, { agentIds: [agent.agentId] });
      const after = await c.poll(agent.agentId, agent.agentToken, group.configVersion);
      expect(after).toEqual({ status: 403, reused: true, version: undefined, code: 'token_revoked' });
      const elsewhere = await other.poll(agent.agentId, agent.agentToken, group.configVersion);
      expect(elsewhere).toEqual({ status: 403, reused: false, version: undefined, code: 'token_revoked' });
    } finally {
      c.close();
      other.close();
    }
  });

  it('answers with the new group’s config on the same socket right after a move', async () => {
    const { group, agent } = await enrolled();
    const target = await createGroupWithPipeline(server.ctx);
    const c = connection();
    try {
      expect(await c.poll(agent.agentId, agent.agentToken, group.configVersion)).toMatchObject({
        status: 204,
      });
      await moveAgents(server.ctx, CLI_ACTOR, { agentIds: [agent.agentId], groupId: target.id });
      const after = await c.poll(agent.agentId, agent.agentToken, group.configVersion);
      expect(after).toMatchObject({ status: 200, reused: true, version: String(target.configVersion) });
    } finally {
      c.close();
    }
  });

  it('checks a different token sent on the same socket as a new one', async () => {
    const first = await enrolled();
    const second = await enrolled();
    const c = connection();
    try {
      const v = first.group.configVersion;
      expect(await c.poll(first.agent.agentId, first.agent.agentToken, v)).toMatchObject({ status: 204 });
      expect(await c.poll(first.agent.agentId, second.agent.agentToken, v)).toMatchObject({
        status: 403,
        reused: true,
        code: 'forbidden',
      });
      expect(await c.poll(first.agent.agentId, 'AGT_unknown', v)).toMatchObject({
        status: 403,
        reused: true,
      });
      expect(
        await c.poll(second.agent.agentId, second.agent.agentToken, second.group.configVersion),
      ).toMatchObject({ status: 204, reused: true });
    } finally {
      c.close();
    }
  });
});
