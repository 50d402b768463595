/**
 * The heartbeat batcher: a row the database refuses must not stop other agents' heartbeats from
 * being stored. The flush bisects a refused batch, drops the bad row, logs it once per agent and
 * counts it in flotilla_heartbeat_rows_rejected_total (served at /metrics). And applyHeartbeat's
 * two paths: from memory (no promise) for the common heartbeat, the database for anything else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeartbeatBuffer, type RejectedRow } from '../../api/fleet/heartbeats.ts';
import { applyHeartbeat } from '../../api/fleet/heartbeat-apply.ts';
import type { AgentEntry } from '../../api/fleet/agent-directory.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { hashToken } from '../../api/fleet/tokens.ts';
import { requestTokenRotation } from '../../api/fleet/token-rotation.ts';
import { updateGroup } from '../../api/fleet/groups.ts';
import { Capability, paths } from '../../api/protocol/v1.ts';
import type { ParsedHeartbeat } from '../../api/protocol/telemetry.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createTestDb } from '../helpers/db.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
  waitFor,
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

describe('the common heartbeat, answered from memory', () => {
  const entryOf = (agent: EnrolledTestAgent) =>
    server.app.directory.cachedByTokenHash(hashToken(agent.agentToken))!;
  const apply = (agent: EnrolledTestAgent, body: Partial<ParsedHeartbeat>) =>
    applyHeartbeat({
      ctx: server.ctx,
      directory: server.app.directory,
      buffer: server.app.heartbeats,
      agent: entryOf(agent),
      body: heartbeatBody(body),
      baseUrl: 'http://x',
    });

  it('answers without a promise once the directory knows everything it reads, and writes the same row', async () => {
    const { agents } = await enrolMany(1);
    const [agent] = agents;
    const etag = (await fetch(`${server.baseUrl}${paths.config(agent.agentId)}?since=0`, {
      headers: { authorization: `Bearer ${agent.agentToken}` },
    }).then((r) => r.headers.get('x-config-etag')))!;
    const running = { appliedConfigVersion: agent.configVersion, runningConfigSha256: etag.slice(7) };
    // The first heartbeat reads the group's self-heal setting from the database.
    const first = await postJson(
      server.baseUrl + paths.heartbeat(agent.agentId),
      heartbeatBody(running),
      agent.agentToken,
    );
    expect(first.status).toBe(200);

    const drifted = { ...running, runningConfigSha256: 'f'.repeat(64), vectorUptimeSeconds: 3600 };
    const answer = apply(agent, drifted);
    expect(answer).not.toBeInstanceOf(Promise);
    expect(answer).toMatchObject({ pendingActions: [], rejectedResults: [], selfHeal: true });
    await server.app.heartbeats.flush({ rethrow: true });
    const row = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: agent.agentId } });
    expect(row.configDriftedAt).not.toBeNull();
    expect(row.lastHeartbeatAt!.getTime() - row.vectorStartedAt!.getTime()).toBe(3_600_000);
  });

  it('takes the database path for action results and a due rotation', async () => {
    const { agents } = await enrolMany(1);
    const [agent] = agents;
    await postJson(server.baseUrl + paths.heartbeat(agent.agentId), heartbeatBody(), agent.agentToken);
    expect(apply(agent, {})).not.toBeInstanceOf(Promise);
    const results = apply(agent, {
      actionResults: [{ actionId: '00000000-0000-4000-8000-000000000000', status: 'done' }],
    });
    expect(results).toBeInstanceOf(Promise);
    expect((await results).rejectedResults).toHaveLength(1);
    await requestTokenRotation(server.ctx, CLI_ACTOR, { agentIds: [agent.agentId] });
    // The directory re-reads the agent when told of the request.
    await waitFor(
      () => server.app.directory.cachedByTokenHash(hashToken(agent.agentToken))?.rotationRequested,
    );
    const rotation = apply(agent, { capabilities: [Capability.tokenRotation] });
    expect(rotation).toBeInstanceOf(Promise);
    expect((await rotation).agentToken).toMatch(/^AGT_/);
  });

  it('has the group’s self-heal setting in memory again after a change, read once however many heartbeats miss it', async () => {
    const { groupId, agents } = await enrolMany(1);
    const [agent] = agents;
    const { directory } = server.app;
    await postJson(server.baseUrl + paths.heartbeat(agent.agentId), heartbeatBody(), agent.agentToken);
    expect(directory.cachedSelfHeal(groupId)).toBe(true);

    // A publish (here a rename) says the group changed: the setting is read again without a heartbeat.
    await updateGroup(server.ctx, CLI_ACTOR, { id: groupId, name: `renamed-${agent.agentId.slice(0, 8)}` });
    await waitFor(() => directory.cachedSelfHeal(groupId) !== undefined);
    expect(apply(agent, {})).not.toBeInstanceOf(Promise);

    // Twenty heartbeats that miss together share one read.
    const selects: string[] = [];
    const stop = server.testDb.db.onQuery((sql) => {
      if (/^SELECT "public"\."groups"\."id", "public"\."groups"\."self_heal" FROM/.test(sql))
        selects.push(sql);
    });
    try {
      await updateGroup(server.ctx, CLI_ACTOR, { id: groupId, selfHeal: false });
      expect(directory.cachedSelfHeal(groupId)).toBeUndefined();
      const answers = await Promise.all(Array.from({ length: 20 }, () => directory.selfHeal(groupId)));
      expect(answers).toEqual(Array(20).fill(false));
      expect(selects).toHaveLength(1);
    } finally {
      stop();
    }
    expect(directory.cachedSelfHeal(groupId)).toBe(false);

    // A read in flight when the group changes does not keep what it read.
    server.ctx.events.publish('groupUpdated', { groupId });
    const racing = directory.selfHeal(groupId);
    server.ctx.events.publish('groupUpdated', { groupId });
    expect(await racing).toBe(false);
    expect(directory.cachedSelfHeal(groupId)).toBeUndefined();
  });
});
