/**
 * api/protocol/README.md → Drift and Token rotation, over HTTP: the server marks an agent drifted
 * from `runningConfigSha256`, records `configDrift` reports, sends the group's self-heal setting,
 * and rotates tokens so that neither a lost answer nor an agent that never stored the new token is
 * locked out. An older agent (none of the new fields) sees no change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Capability, HeartbeatResponse, paths, type HeartbeatRequest } from '../../api/protocol/v1.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { updateGroup } from '../../api/fleet/groups.ts';
import { agentWhere } from '../../api/fleet/queries.ts';
import { fleetSummary } from '../../api/fleet/summary.ts';
import { requestTokenRotation } from '../../api/fleet/token-rotation.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
  waitFor,
} from '../helpers/factories.ts';

const DAY_MS = 24 * 3600 * 1000;
let now = new Date();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ clock: () => now });
});
afterAll(() => server.close());

async function enrolled() {
  const group = await createGroupWithPipeline(server.ctx);
  const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
  const res = await fetch(`${server.baseUrl}${paths.config(agent.agentId)}?since=0`, {
    headers: { authorization: `Bearer ${agent.agentToken}` },
  });
  const etag = res.headers.get('x-config-etag')!.replace('sha256:', '');
  return { ...agent, groupId: group.id, etag };
}

async function beat(agentId: string, token: string, body: Partial<Omit<HeartbeatRequest, 'telemetry'>> = {}) {
  const res = await postJson(server.baseUrl + paths.heartbeat(agentId), heartbeatBody(body), token);
  return {
    status: res.status,
    body: res.status === 200 ? HeartbeatResponse.parse(await res.json()).data : null,
  };
}

const agentRow = (id: string) => server.ctx.db.agent.findUniqueOrThrow({ where: { id } });
const rotating = { capabilities: [Capability.tokenRotation] };

describe('drift', () => {
  it('marks an agent drifted while its running hash differs from the applied version, in lists and counts', async () => {
    const a = await enrolled();
    const applied = { appliedConfigVersion: a.configVersion };
    expect((await beat(a.agentId, a.agentToken, { ...applied, runningConfigSha256: a.etag })).status).toBe(
      200,
    );
    await server.app.heartbeats.flush();
    expect(await agentRow(a.agentId)).toMatchObject({ runningConfigSha256: a.etag, configDriftedAt: null });

    await beat(a.agentId, a.agentToken, { ...applied, runningConfigSha256: 'f'.repeat(64) });
    await server.app.heartbeats.flush();
    const drifted = await agentRow(a.agentId);
    expect(drifted.configDriftedAt).not.toBeNull();
    const where = await agentWhere(
      server.ctx.db,
      { groupIds: [a.groupId], query: 'configStatus:drifted' },
      now,
      server.ctx.tuning.current.offlineAfterMs,
    );
    expect(await server.ctx.db.agent.count({ where })).toBe(1);
    expect(await fleetSummary(server.ctx, a.groupId)).toMatchObject({ drifted: 1, upToDate: 0 });

    await beat(a.agentId, a.agentToken, { ...applied, runningConfigSha256: a.etag });
    await server.app.heartbeats.flush();
    expect((await agentRow(a.agentId)).configDriftedAt).toBeNull();
    expect(await fleetSummary(server.ctx, a.groupId)).toMatchObject({ drifted: 0, upToDate: 1 });
  });

  it('records what the agent found in the audit log and sends the group’s self-heal setting', async () => {
    const a = await enrolled();
    const found = 'e'.repeat(64);
    const first = await beat(a.agentId, a.agentToken, {
      appliedConfigVersion: a.configVersion,
      runningConfigSha256: a.etag,
      configDrift: { foundSha256: found, restored: true },
    });
    expect(first.body?.selfHeal).toBe(true);
    const audit = await server.ctx.db.auditEvent.findFirstOrThrow({
      where: { action: 'agent.config_drift', targetId: a.agentId },
    });
    expect(audit.after).toEqual({
      appliedConfigVersion: a.configVersion,
      foundSha256: found,
      restored: true,
    });
    await updateGroup(server.ctx, CLI_ACTOR, { id: a.groupId, selfHeal: false });
    await waitFor(async () => (await beat(a.agentId, a.agentToken)).body?.selfHeal === false);
  });

  it('leaves an older agent (no hash) unmarked, and refuses a malformed hash', async () => {
    const a = await enrolled();
    await beat(a.agentId, a.agentToken, { appliedConfigVersion: a.configVersion });
    await server.app.heartbeats.flush();
    expect(await agentRow(a.agentId)).toMatchObject({ runningConfigSha256: null, configDriftedAt: null });
    const bad = await beat(a.agentId, a.agentToken, { runningConfigSha256: 'XYZ' });
    expect(bad.status).toBe(400);
  });
});

describe('token rotation', () => {
  it('survives a lost answer: the old token keeps working and a fresh token replaces the lost one', async () => {
    const a = await enrolled();
    await requestTokenRotation(server.ctx, CLI_ACTOR, { agentIds: [a.agentId] });
    const lost = (await waitFor(
      async () => (await beat(a.agentId, a.agentToken, rotating)).body?.agentToken,
    ))!;
    // The answer never arrived: the agent comes back with its old token and gets another one.
    const second = (await beat(a.agentId, a.agentToken, rotating)).body!.agentToken!;
    expect(second).toMatch(/^AGT_/);
    expect(second).not.toBe(lost);
    expect((await beat(a.agentId, lost, rotating)).status).toBe(403);
    // The agent stores and uses the new token: that retires the old one.
    const used = await beat(a.agentId, second, rotating);
    expect(used).toMatchObject({ status: 200, body: { pendingActions: [] } });
    expect(used.body?.agentToken).toBeUndefined();
    expect((await beat(a.agentId, a.agentToken, rotating)).status).toBe(403);
    expect((await beat(a.agentId, second, rotating)).body?.agentToken).toBeUndefined();
    expect(await agentRow(a.agentId)).toMatchObject({ nextTokenHash: null, tokenRotationRequestedAt: null });
    const audit = await server.ctx.db.auditEvent.findMany({
      where: { targetId: a.agentId, action: { startsWith: 'agent.token_' } },
      orderBy: { createdAt: 'asc' },
    });
    expect(audit.map((e) => [e.action, e.after])).toEqual([
      ['agent.token_rotation_requested', expect.objectContaining({ batchId: expect.any(String) })],
      ['agent.token_rotated', { reason: 'requested' }],
    ]);
  });

  it('rotates on the schedule, and never sends a token to an agent that does not announce the capability', async () => {
    const a = await enrolled();
    expect((await beat(a.agentId, a.agentToken, rotating)).body?.agentToken).toBeUndefined();
    now = new Date(now.getTime() + 91 * DAY_MS);
    try {
      expect((await beat(a.agentId, a.agentToken)).body?.agentToken).toBeUndefined();
      const token = (await beat(a.agentId, a.agentToken, rotating)).body?.agentToken;
      expect(token).toMatch(/^AGT_/);
      expect((await beat(a.agentId, token!, rotating)).status).toBe(200);
      const audit = await server.ctx.db.auditEvent.findFirstOrThrow({
        where: { targetId: a.agentId, action: 'agent.token_rotated' },
      });
      expect(audit.after).toEqual({ reason: 'schedule' });
    } finally {
      now = new Date();
    }
  });

  it('rotates a group by filter and refuses unknown or revoked agents without writing', async () => {
    const a = await enrolled();
    const outcome = await requestTokenRotation(server.ctx, CLI_ACTOR, { filter: { groupIds: [a.groupId] } });
    expect(outcome).toEqual({ agentIds: [a.agentId], changed: 1 });
    await expect(
      requestTokenRotation(server.ctx, CLI_ACTOR, { agentIds: [a.agentId, crypto.randomUUID()] }),
    ).rejects.toMatchObject({ code: 'agent_not_found' });
  });
});
