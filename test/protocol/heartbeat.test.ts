/** protocol.md → Heartbeat: POST /api/v1/agents/:id/heartbeat. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, paths } from '../../api/protocol/v1.ts';
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
});
afterAll(() => server.close());

async function enrolled() {
  const group = await createGroupWithPipeline(server.ctx);
  return enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
}

function beat(agentId: string, token: string, body: unknown): Promise<Response> {
  return postJson(server.baseUrl + paths.heartbeat(agentId), body, token);
}

describe('heartbeat', () => {
  it('stores last seen, versions, applied version, running state and start time (batched)', async () => {
    const agent = await enrolled();
    const before = Date.now();
    const res = await beat(
      agent.agentId,
      agent.agentToken,
      heartbeatBody({
        agentVersion: '0.2.0',
        vectorVersion: '0.57.0',
        appliedConfigVersion: agent.configVersion,
        vectorUptimeSeconds: 120,
      }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { pendingActions: [], rejectedResults: [], selfHeal: true } });
    const row = await waitFor(async () => {
      const a = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: agent.agentId } });
      return a.lastHeartbeatAt ? a : null;
    });
    expect(row.lastHeartbeatAt!.getTime()).toBeGreaterThanOrEqual(before - 5);
    expect(row.agentVersion).toBe('0.2.0');
    expect(row.vectorVersion).toBe('0.57.0');
    expect(row.appliedConfigVersion).toBe(agent.configVersion);
    expect(row.vectorRunning).toBe(true);
    const uptimeMs = row.lastHeartbeatAt!.getTime() - row.vectorStartedAt!.getTime();
    expect(uptimeMs).toBe(120_000);
  });

  it('stores a configError until a heartbeat without one clears it, and clears wentOfflineAt', async () => {
    const agent = await enrolled();
    await server.ctx.db.agent.update({ where: { id: agent.agentId }, data: { wentOfflineAt: new Date() } });
    await beat(
      agent.agentId,
      agent.agentToken,
      heartbeatBody({ configError: { version: 3, message: 'x: missing field `mode`' } }),
    );
    const failed = await waitFor(async () => {
      const a = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: agent.agentId } });
      return a.configErrorVersion === 3 ? a : null;
    });
    expect(failed.configErrorMessage).toContain('missing field');
    expect(failed.wentOfflineAt).toBeNull();
    await beat(agent.agentId, agent.agentToken, heartbeatBody());
    await waitFor(async () => {
      const a = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: agent.agentId } });
      return a.configErrorVersion === null;
    });
  });

  it('writes many agents’ heartbeats in one statement per flush', async () => {
    // A server whose timer never flushes during the test: only the explicit flush writes.
    const slow = await startTestServer({ env: { FLOTILLA_HEARTBEAT_FLUSH_MS: '60000' } });
    try {
      const group = await createGroupWithPipeline(slow.ctx);
      const token = await mintToken(slow.ctx, group.id, 20);
      const agents = await Promise.all(Array.from({ length: 20 }, () => enrolOverHttp(slow.baseUrl, token)));
      const updates: string[] = [];
      const stop = slow.testDb.db.onQuery((sql) => {
        if (/^\s*UPDATE agents/i.test(sql)) updates.push(sql);
      });
      try {
        const answers = await Promise.all(
          agents.map((a) =>
            postJson(
              slow.baseUrl + paths.heartbeat(a.agentId),
              heartbeatBody({ appliedConfigVersion: 2 }),
              a.agentToken,
            ),
          ),
        );
        expect(answers.every((r) => r.status === 200)).toBe(true);
        expect(slow.app.heartbeats.size).toBe(20);
        await slow.app.heartbeats.flush();
      } finally {
        stop();
      }
      expect(updates).toHaveLength(1);
      const stored = await slow.ctx.db.agent.count({ where: { groupId: group.id, appliedConfigVersion: 2 } });
      expect(stored).toBe(20);
    } finally {
      await slow.close();
    }
  });

  it('answers 400 naming the field, 413 over 64 KiB, 415 for non-JSON, and changes nothing', async () => {
    const agent = await enrolled();
    const bad = await beat(agent.agentId, agent.agentToken, { ...heartbeatBody(), appliedConfigVersion: -1 });
    expect(bad.status).toBe(400);
    const error = ((await bad.json()) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('invalid_body');
    expect(error.message).toContain('appliedConfigVersion');
    const huge = await beat(agent.agentId, agent.agentToken, {
      ...heartbeatBody(),
      padding: 'x'.repeat(MAX_BODY_BYTES),
    });
    expect(huge.status).toBe(413);
    const text = await fetch(server.baseUrl + paths.heartbeat(agent.agentId), {
      method: 'POST',
      headers: { authorization: `Bearer ${agent.agentToken}`, 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(text.status).toBe(415);
    await server.app.heartbeats.flush();
    const row = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: agent.agentId } });
    expect(row.lastHeartbeatAt).toBeNull();
  });

  it('answers 401 without a token and 403 with another agent’s token', async () => {
    const agent = await enrolled();
    const other = await enrolled();
    expect((await postJson(server.baseUrl + paths.heartbeat(agent.agentId), heartbeatBody())).status).toBe(
      401,
    );
    expect((await beat(agent.agentId, other.agentToken, heartbeatBody())).status).toBe(403);
  });

  it('flushes buffered heartbeats when the server stops', async () => {
    const extra = await startTestServer({ env: { FLOTILLA_HEARTBEAT_FLUSH_MS: '60000' } });
    try {
      const group = await createGroupWithPipeline(extra.ctx);
      const agent = await enrolOverHttp(extra.baseUrl, await mintToken(extra.ctx, group.id));
      const res = await postJson(
        extra.baseUrl + paths.heartbeat(agent.agentId),
        heartbeatBody({ appliedConfigVersion: 7 }),
        agent.agentToken,
      );
      expect(res.status).toBe(200);
      expect(extra.app.heartbeats.size).toBe(1);
      await extra.app.stop();
      const row = await extra.ctx.db.agent.findUniqueOrThrow({ where: { id: agent.agentId } });
      expect(row.appliedConfigVersion).toBe(7);
    } finally {
      await extra.events.close();
      await extra.testDb.destroy();
    }
  });
});
