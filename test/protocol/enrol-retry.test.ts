/**
 * protocol README → Enrol → Retries: an `enrolmentKey` sent again with a retry replays the enrolment
 * (the same agent, a new token, no use consumed) while its agent was never heard from, and is spent
 * (409 enrolment_key_used, nothing written) once it was.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { revokeAgents } from '../../api/fleet/agents.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolBody,
  heartbeatBody,
  mintToken,
  postJson,
} from '../helpers/factories.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_ENROL_RATE_LIMIT: '1000' } });
});
afterAll(() => server.close());

interface Enrolled {
  agentId: string;
  agentToken: string;
}

async function enrol(token: string, enrolmentKey?: string): Promise<Response> {
  return postJson(server.baseUrl + paths.enrol, enrolBody(token, enrolmentKey ? { enrolmentKey } : {}));
}

async function enrolled(res: Response): Promise<Enrolled> {
  expect(res.status).toBe(201);
  return ((await res.json()) as { data: Enrolled }).data;
}

/** The status of a config poll with `agent`'s token. */
async function pollStatus(agent: Enrolled): Promise<number> {
  const res = await fetch(`${server.baseUrl}${paths.config(agent.agentId)}?since=0`, {
    headers: { authorization: `Bearer ${agent.agentToken}` },
  });
  await res.arrayBuffer();
  return res.status;
}

async function setup(maxUses = 1) {
  const group = await createGroupWithPipeline(server.ctx);
  const token = await mintToken(server.ctx, group.id, maxUses);
  const agents = () => server.ctx.db.agent.count({ where: { groupId: group.id } });
  const uses = async () =>
    (await server.ctx.db.enrolmentToken.findFirstOrThrow({ where: { groupId: group.id } })).uses;
  return { token, agents, uses };
}

describe('enrolment retries', () => {
  it('gives a retry with the same key the same agent and a new token, consuming no use', async () => {
    const { token, agents, uses } = await setup(1);
    const key = randomUUID();
    const first = await enrolled(await enrol(token, key));
    // The answer was lost: the agent sends the same enrolment again (the token's one use is gone).
    const retry = await enrolled(await enrol(token, key));
    expect(retry.agentId).toBe(first.agentId);
    expect(retry.agentToken).not.toBe(first.agentToken);
    expect([await agents(), await uses()]).toEqual([1, 1]);
    expect(await pollStatus(retry)).toBe(200);
    expect(await pollStatus(first)).toBe(403);
    const audit = await server.ctx.db.auditEvent.findMany({
      where: { targetId: first.agentId },
      orderBy: { createdAt: 'asc' },
    });
    expect(audit.map((e) => e.action)).toEqual(['agent.enrol', 'agent.enrol_retried']);
  });

  it('refuses a key whose agent was heard from or revoked with 409, writing nothing', async () => {
    const { token, agents, uses } = await setup(5);
    const [heard, revoked] = [randomUUID(), randomUUID()];
    const a = await enrolled(await enrol(token, heard));
    const hb = await postJson(server.baseUrl + paths.heartbeat(a.agentId), heartbeatBody(), a.agentToken);
    expect(hb.status).toBe(200);
    await server.app.heartbeats.flush();
    const b = await enrolled(await enrol(token, revoked));
    await revokeAgents(server.ctx, CLI_ACTOR, { agentIds: [b.agentId] });
    for (const key of [heard, revoked]) {
      const res = await enrol(token, key);
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('enrolment_key_used');
    }
    expect([await agents(), await uses()]).toEqual([2, 2]);
    expect(await pollStatus(a)).toBe(200);
  });

  it('makes one agent of attempts with one key at once, and a new key makes another', async () => {
    const { token, agents, uses } = await setup(5);
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 5 }, async () => enrolled(await enrol(token, key))),
    );
    expect(new Set(answers.map((a) => a.agentId)).size).toBe(1);
    // The attempt stored last holds the token that works; the earlier answers' tokens were replaced.
    const working = await Promise.all(answers.map(pollStatus));
    expect(working.filter((status) => status === 200)).toHaveLength(1);
    expect([await agents(), await uses()]).toEqual([1, 1]);
    await enrolled(await enrol(token, randomUUID()));
    await enrolled(await enrol(token));
    expect([await agents(), await uses()]).toEqual([3, 3]);
  });

  it('answers 400 naming enrolmentKey for a key out of bounds', async () => {
    const { token, agents } = await setup(5);
    for (const key of ['short', 'x'.repeat(65), 'has spaces in it, sixteen+']) {
      const res = await enrol(token, key);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^enrolmentKey/);
    }
    expect(await agents()).toBe(0);
  });
});
