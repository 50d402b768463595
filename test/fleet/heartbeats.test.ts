/**
 * The heartbeat batcher: a row the database refuses must not stop other agents' heartbeats from
 * being stored. The flush bisects a refused batch, drops the bad row, logs it once per agent and
 * counts it in flotilla_heartbeat_rows_rejected_total (served at /metrics).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeartbeatBuffer, type RejectedRow } from '../../api/fleet/heartbeats.ts';
import type { AgentEntry } from '../../api/fleet/agent-directory.ts';
import { paths } from '../../api/protocol/v1.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createTestDb } from '../helpers/db.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
  type EnrolledTestAgent,
} from '../helpers/factories.ts';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
let server: TestServer;
beforeAll(async () => {
  // The timer never fires during a test: only explicit flushes write.
  server = await startTestServer({
    env: { FLOTILLA_HEARTBEAT_FLUSH_MS: '60000', FLOTILLA_METRICS_TOKEN: METRICS_TOKEN },
  });
});
afterAll(() => server.close());

async function rejectedTotal(): Promise<number> {
  const res = await fetch(`${server.baseUrl}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const line = (await res.text())
    .split('\n')
    .find((l) => l.startsWith('flotilla_heartbeat_rows_rejected_total '));
  return Number(line?.split(' ')[1]);
}

async function enrolMany(n: number): Promise<{ groupId: string; agents: EnrolledTestAgent[] }> {
  const group = await createGroupWithPipeline(server.ctx);
  const token = await mintToken(server.ctx, group.id, n);
  const agents: EnrolledTestAgent[] = [];
  agents.push(...(await Promise.all(Array.from({ length: n }, () => enrolOverHttp(server.baseUrl, token)))));
  return { groupId: group.id, agents };
}

/** Buffer a row that passed no validation, as if a schema bound had been missed. */
function poison(agent: EnrolledTestAgent, groupId: string, body: Parameters<typeof heartbeatBody>[0]): void {
  const entry = { id: agent.agentId, groupId } as AgentEntry;
  server.app.heartbeats.add(entry, heartbeatBody(body), new Date());
}

describe('heartbeat flush isolation', () => {
  it('stores 20 agents’ heartbeats in the same flush as rows the database refuses, and drops only those', async () => {
    const { groupId, agents } = await enrolMany(23);
    const good = agents.slice(0, 20);
    const [nul, tooBig, tooOld] = agents.slice(20);
    const before = await rejectedTotal();
    for (const a of good) {
      const res = await postJson(
        server.baseUrl + paths.heartbeat(a.agentId),
        heartbeatBody({ appliedConfigVersion: 2 }),
        a.agentToken,
      );
      expect(res.status).toBe(200);
    }
    poison(nul, groupId, { agentVersion: '0.1.0\u0000x', appliedConfigVersion: 2 });
    poison(tooBig, groupId, { appliedConfigVersion: 99_999_999_999 });
    poison(tooOld, groupId, { vectorUptimeSeconds: 1e12, appliedConfigVersion: 2 });
    expect(server.app.heartbeats.size).toBe(23);
    await server.app.heartbeats.flush({ rethrow: true });
    expect(server.app.heartbeats.size).toBe(0);
    const stored = await server.ctx.db.agent.findMany({ where: { groupId } });
    const byId = new Map(stored.map((a) => [a.id, a]));
    for (const a of good) {
      expect(byId.get(a.agentId)!.appliedConfigVersion).toBe(2);
      expect(byId.get(a.agentId)!.lastHeartbeatAt).not.toBeNull();
    }
    for (const a of [nul, tooBig, tooOld]) expect(byId.get(a.agentId)!.lastHeartbeatAt).toBeNull();
    expect((await rejectedTotal()) - before).toBe(3);

    // Dropped, not retried: the next flush writes nothing for them and counts nothing more.
    await server.app.heartbeats.flush({ rethrow: true });
    expect((await rejectedTotal()) - before).toBe(3);
  });

  it('reports a refused agent once until it stores a clean heartbeat again', async () => {
    const seen: RejectedRow[] = [];
    const buffer = new HeartbeatBuffer(
      server.ctx,
      60_000,
      (error) => {
        throw error;
      },
      (r) => seen.push(r),
    );
    const { groupId, agents } = await enrolMany(2);
    const [bad, other] = agents;
    const entry = (a: EnrolledTestAgent) => ({ id: a.agentId, groupId }) as AgentEntry;
    for (let round = 0; round < 3; round++) {
      buffer.add(entry(bad), heartbeatBody({ vectorVersion: 'v\u0000' }), new Date());
      buffer.add(entry(other), heartbeatBody({ appliedConfigVersion: round + 1 }), new Date());
      await buffer.flush({ rethrow: true });
      const row = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: other.agentId } });
      expect(row.appliedConfigVersion).toBe(round + 1);
    }
    expect(seen.map((r) => [r.agentId, r.firstSinceStored])).toEqual([
      [bad.agentId, true],
      [bad.agentId, false],
      [bad.agentId, false],
    ]);
    buffer.add(entry(bad), heartbeatBody({ appliedConfigVersion: 5 }), new Date());
    await buffer.flush({ rethrow: true });
    buffer.add(entry(bad), heartbeatBody({ agentVersion: '\u0000' }), new Date());
    await buffer.flush({ rethrow: true });
    expect(seen.at(-1)).toMatchObject({ agentId: bad.agentId, firstSinceStored: true });
    expect(seen).toHaveLength(4);
  });

  it('keeps every row buffered (none dropped) when the database is unreachable rather than refusing data', async () => {
    const testDb = await createTestDb();
    await testDb.db.close();
    // Closed here already: let destroy() skip the second close and only remove the database.
    testDb.db.close = () => Promise.resolve();
    const errors: Error[] = [];
    const seen: RejectedRow[] = [];
    const ctx = { ...server.ctx, db: testDb.db.prisma };
    const buffer = new HeartbeatBuffer(
      ctx,
      60_000,
      (e) => errors.push(e),
      (r) => seen.push(r),
    );
    try {
      for (let i = 0; i < 3; i++) {
        const entry = { id: crypto.randomUUID(), groupId: crypto.randomUUID() } as AgentEntry;
        buffer.add(entry, heartbeatBody({ agentVersion: i === 0 ? 'bad\u0000' : '0.1.0' }), new Date());
      }
      await buffer.flush();
      expect(errors).toHaveLength(1);
      expect(seen).toEqual([]);
      expect(buffer.size).toBe(3);
    } finally {
      await testDb.destroy();
    }
  });

  it('guards /metrics with FLOTILLA_METRICS_TOKEN, and answers 404 when it is unset', async () => {
    const denied = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: 'Bearer wrong' } });
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(401);
    const plain = await startTestServer({ testDb: server.testDb });
    try {
      const res = await fetch(`${plain.baseUrl}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    } finally {
      await plain.close();
    }
  });
});
