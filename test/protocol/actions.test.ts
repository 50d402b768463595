/** protocol.md → Actions: delivery in heartbeats, results, transitions, and POST :id/actions. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths, type HeartbeatResponse } from '../../api/protocol/v1.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { createActions, cancelAction } from '../../api/fleet/actions.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import { createUser } from '../../api/fleet/users.ts';
import { createApiToken, revokeApiToken } from '../../api/fleet/api-tokens.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
  waitFor,
} from '../helpers/factories.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await registerRelease(server.ctx, { version: '0.2.0', bundle: Buffer.from('// agent 0.2.0\n') });
});
afterAll(() => server.close());

async function enrolled() {
  const group = await createGroupWithPipeline(server.ctx);
  return enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
}

async function beat(agentId: string, token: string, overrides = {}): Promise<HeartbeatResponse['data']> {
  const res = await postJson(server.baseUrl + paths.heartbeat(agentId), heartbeatBody(overrides), token);
  expect(res.status).toBe(200);
  return ((await res.json()) as HeartbeatResponse).data;
}

const upgrade = (agentIds: string[]) =>
  createActions(server.ctx, CLI_ACTOR, {
    agentIds,
    type: 'upgrade_agent',
    payload: { targetVersion: '0.2.0' },
  });

describe('actions', () => {
  it('delivers a pending action until the agent reports it running, then done with its result', async () => {
    const agent = await enrolled();
    const { actions } = await upgrade([agent.agentId]);
    const first = await beat(agent.agentId, agent.agentToken);
    expect(first.pendingActions).toHaveLength(1);
    expect(first.pendingActions[0]).toMatchObject({ id: actions[0].id, type: 'upgrade_agent' });
    expect(first.pendingActions[0].payload).toMatchObject({
      targetVersion: '0.2.0',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(String(first.pendingActions[0].payload.url)).toMatch(/\/api\/v1\/agents\/releases\/0\.2\.0$/);
    expect((await server.ctx.db.action.findUniqueOrThrow({ where: { id: actions[0].id } })).status).toBe(
      'delivered',
    );
    expect((await beat(agent.agentId, agent.agentToken)).pendingActions).toHaveLength(1);
    const running = await beat(agent.agentId, agent.agentToken, {
      actionResults: [{ actionId: actions[0].id, status: 'running' }],
    });
    expect(running.pendingActions).toHaveLength(0);
    expect(running.rejectedResults).toEqual([]);
    const done = await beat(agent.agentId, agent.agentToken, {
      actionResults: [
        { actionId: actions[0].id, status: 'done', result: { fromVersion: '0.1.0', toVersion: '0.2.0' } },
      ],
    });
    expect(done.rejectedResults).toEqual([]);
    const row = await server.ctx.db.action.findUniqueOrThrow({ where: { id: actions[0].id } });
    expect(row.status).toBe('done');
    expect(row.result).toEqual({ fromVersion: '0.1.0', toVersion: '0.2.0' });
    expect(row.finishedAt).not.toBeNull();
  });

  it('marks an action delivered when a heartbeat answer carries it: no cancel after that, and a lost answer is carried again', async () => {
    const agent = await enrolled();
    const { actions } = await upgrade([agent.agentId]);
    const row = () => server.ctx.db.action.findUniqueOrThrow({ where: { id: actions[0].id } });
    expect(['pending', 'waiting']).toContain((await row()).status);
    // This answer is "lost": the agent never reads it, but the server handed the action over.
    const lost = await postJson(
      server.baseUrl + paths.heartbeat(agent.agentId),
      heartbeatBody(),
      agent.agentToken,
    );
    expect(lost.status).toBe(200);
    const delivered = await row();
    expect(delivered.status).toBe('delivered');
    expect(delivered.deliveredAt).not.toBeNull();
    await expect(cancelAction(server.ctx, CLI_ACTOR, { id: actions[0].id })).rejects.toMatchObject({
      code: 'invalid_transition',
      message: expect.stringContaining('already received it'),
    });
    // The agent polls again: the same action, same id (it de-duplicates by id); a newer one joins it.
    const { actions: later } = await upgrade([agent.agentId]);
    const again = await beat(agent.agentId, agent.agentToken);
    expect(again.pendingActions.map((a) => a.id)).toEqual([actions[0].id, later[0].id]);
    expect((await row()).deliveredAt).toEqual(delivered.deliveredAt);
    const reported = await beat(agent.agentId, agent.agentToken, {
      actionResults: [
        { actionId: actions[0].id, status: 'running' },
        { actionId: later[0].id, status: 'failed', result: { error: 'busy' } },
      ],
    });
    expect(reported.pendingActions).toEqual([]);
    expect(reported.rejectedResults).toEqual([]);
    expect((await row()).status).toBe('running');
  });

  it('rejects results for final, unknown and other agents’ actions, and the heartbeat still succeeds', async () => {
    const agent = await enrolled();
    const other = await enrolled();
    const { actions } = await upgrade([agent.agentId]);
    const [mine] = actions;
    const { actions: theirs } = await upgrade([other.agentId]);
    await beat(agent.agentId, agent.agentToken, {
      actionResults: [{ actionId: mine.id, status: 'failed', result: { reason: 'disk full' } }],
    });
    const answer = await beat(agent.agentId, agent.agentToken, {
      actionResults: [
        { actionId: mine.id, status: 'done' },
        { actionId: '00000000-0000-4000-8000-000000000000', status: 'done' },
        { actionId: 'not-a-uuid', status: 'running' },
        { actionId: theirs[0].id, status: 'done' },
      ],
    });
    expect(answer.rejectedResults.map((r) => r.actionId)).toEqual([
      mine.id,
      '00000000-0000-4000-8000-000000000000',
      'not-a-uuid',
      theirs[0].id,
    ]);
    expect(answer.rejectedResults[0].reason).toContain('failed');
    expect((await server.ctx.db.action.findUniqueOrThrow({ where: { id: mine.id } })).status).toBe('failed');
    // The other agent was never heard from: its action waits for it, untouched by this agent's report.
    expect((await server.ctx.db.action.findUniqueOrThrow({ where: { id: theirs[0].id } })).status).toBe(
      'waiting',
    );
  });

  it('delivers at most 10 pending actions, oldest first, and none that are cancelled or past their deadline', async () => {
    const agent = await enrolled();
    const created = [];
    for (let i = 0; i < 12; i++) created.push((await upgrade([agent.agentId])).actions[0]);
    await cancelAction(server.ctx, CLI_ACTOR, { id: created[0].id });
    await server.ctx.db.action.update({
      where: { id: created[1].id },
      data: { deadline: new Date(Date.now() - 1000) },
    });
    const answer = await beat(agent.agentId, agent.agentToken);
    expect(answer.pendingActions.map((a) => a.id)).toEqual(created.slice(2, 12).map((a) => a.id));
  });

  it('bulk creation ties one action per agent with a bulk id', async () => {
    const a = await enrolled();
    const b = await enrolled();
    const { bulkId, actions } = await upgrade([a.agentId, b.agentId]);
    expect(bulkId).toMatch(/^[0-9a-f-]{36}$/);
    expect(actions.map((x) => x.agentId).sort()).toEqual([a.agentId, b.agentId].sort());
    expect(actions.every((x) => x.bulkId === bulkId)).toBe(true);
  });

  it('POST :id/actions with an editor API token queues an action; viewer tokens and agent tokens are refused', async () => {
    const agent = await enrolled();
    await beat(agent.agentId, agent.agentToken);
    await waitFor(
      async () =>
        (await server.ctx.db.agent.findUniqueOrThrow({ where: { id: agent.agentId } })).lastHeartbeatAt,
    );
    const editor = await createUser(server.ctx, CLI_ACTOR, {
      email: `ed-${agent.agentId}@example.com`,
      role: 'editor',
      password: 'correct horse battery',
    });
    const viewer = await createUser(server.ctx, CLI_ACTOR, {
      email: `vi-${agent.agentId}@example.com`,
      role: 'viewer',
      password: 'correct horse battery',
    });
    const editorToken = (await createApiToken(server.ctx, CLI_ACTOR, { userId: editor.id, name: 'ci' }))
      .token;
    const viewerToken = (await createApiToken(server.ctx, CLI_ACTOR, { userId: viewer.id, name: 'ro' }))
      .token;
    const url = server.baseUrl + paths.actions(agent.agentId);
    const body = { type: 'upgrade_agent', payload: { targetVersion: '0.2.0' } };
    const ok = await postJson(url, body, editorToken);
    expect(ok.status).toBe(201);
    const { data } = (await ok.json()) as { data: { id: string; status: string } };
    // Online (it heartbeated): pending; an agent never heard from would get it as waiting.
    expect(data.status).toBe('pending');
    expect((await postJson(url, body, viewerToken)).status).toBe(403);
    expect((await postJson(url, body, agent.agentToken)).status).toBe(401);
    expect((await postJson(url, body)).status).toBe(401);
    const unknownVersion = await postJson(
      url,
      { type: 'upgrade_agent', payload: { targetVersion: '9.9.9' } },
      editorToken,
    );
    expect(unknownVersion.status).toBe(404);
    expect(((await unknownVersion.json()) as { error: { code: string } }).error.code).toBe(
      'release_not_found',
    );
    const badPayload = await postJson(
      url,
      { type: 'upgrade_agent', payload: { targetVersion: 'latest' } },
      editorToken,
    );
    expect(badPayload.status).toBe(400);
    const badType = await postJson(url, { type: 'reboot', payload: {} }, editorToken);
    expect(badType.status).toBe(400);
    expect(await server.ctx.db.action.count({ where: { agentId: agent.agentId } })).toBe(1);
  });

  it('queues restart_vector with an empty payload (anything sent is ignored) and delivers it', async () => {
    const agent = await enrolled();
    const [action] = (
      await createActions(server.ctx, CLI_ACTOR, {
        agentIds: [agent.agentId],
        type: 'restart_vector',
        payload: { ignored: true },
      })
    ).actions;
    const answer = await beat(agent.agentId, agent.agentToken);
    expect(answer.pendingActions).toEqual([{ id: action.id, type: 'restart_vector', payload: {} }]);
  });

  it('POST :id/actions answers 401 for a malformed header and an unknown, revoked or expired API token', async () => {
    const agent = await enrolled();
    const user = await createUser(server.ctx, CLI_ACTOR, {
      email: `bearer-${agent.agentId}@example.com`,
      role: 'editor',
      password: 'correct horse battery',
    });
    const mint = async (name: string) => createApiToken(server.ctx, CLI_ACTOR, { userId: user.id, name });
    const revoked = await mint('revoked');
    await revokeApiToken(server.ctx, CLI_ACTOR, { id: revoked.record.id });
    const expired = await mint('expired');
    await server.ctx.db.apiToken.update({
      where: { id: expired.record.id },
      data: { expiresAt: new Date(0) },
    });
    const valid = (await mint('valid')).token;
    const url = server.baseUrl + paths.actions(agent.agentId);
    const body = { type: 'upgrade_agent', payload: { targetVersion: '0.2.0' } };
    const send = (authorization: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify(body),
      });
    for (const authorization of [
      `Basic ${valid}`,
      `Bearer ${valid} extra`,
      `Bearer "${valid}"`,
      'Bearer FLT_unknown',
      `Bearer ${revoked.token}`,
      `Bearer ${expired.token}`,
    ]) {
      const res = await send(authorization);
      expect(res.status, authorization).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    }
    expect((await send(`bearer ${valid}`)).status).toBe(201);
    expect(await server.ctx.db.action.count({ where: { agentId: agent.agentId } })).toBe(1);
  });

  it('serves a registered release with its SHA-256, and 404 for an unknown one', async () => {
    const res = await fetch(server.baseUrl + paths.release('0.2.0'));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-release-sha256')).toMatch(/^[0-9a-f]{64}$/);
    expect(await res.text()).toBe('// agent 0.2.0\n');
    const missing = await fetch(server.baseUrl + paths.release('1.0.0'));
    expect(missing.status).toBe(404);
  });
});
