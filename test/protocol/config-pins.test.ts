/**
 * protocol README → Config polling, "Per-agent desired version": an agent pinned by a rollout gets
 * its pin (204 only when since equals it, else 200 with that version, older ones too); unpinned
 * agents keep the baseline rule; a held poll wakes when its own desired version changes; moving an
 * agent drops its pin; every 200 is recorded as delivered with the heartbeat flush, never per poll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { moveAgents } from '../../api/fleet/agents.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  changePublishedComponent,
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
  waitFor,
} from '../helpers/factories.ts';

let server: TestServer;
beforeAll(async () => {
  // Flushes only when a test asks, so "nothing written before the flush" can be checked.
  server = await startTestServer({ env: { FLOTILLA_HEARTBEAT_FLUSH_MS: '60000' } });
});
afterAll(() => server.close());

function poll(agentId: string, token: string, query: string): Promise<Response> {
  return fetch(`${server.baseUrl}${paths.config(agentId)}?${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
}

/** A group at version 3 (1 and 2 published before) with two agents that fetched it. */
async function groupAtV3() {
  const group = await createGroupWithPipeline(server.ctx);
  await changePublishedComponent(server.ctx, group.id, 'demo', { options: { format: 'apache_common' } });
  const v3 = await changePublishedComponent(server.ctx, group.id, 'demo', { options: { format: 'syslog' } });
  expect(v3).toBe(group.configVersion + 2);
  const token = await mintToken(server.ctx, group.id, 5);
  const pinned = await enrolOverHttp(server.baseUrl, token);
  const other = await enrolOverHttp(server.baseUrl, token);
  for (const a of [pinned, other]) expect((await poll(a.agentId, a.agentToken, 'since=0')).status).toBe(200);
  return { group, v3, pinned, other };
}

/** Pin agents as a rollout would (test code writes the row) and announce it on the bus. */
async function pin(groupId: string, agentIds: string[], version: number): Promise<void> {
  for (const agentId of agentIds)
    await server.ctx.db.agentConfigPin.upsert({
      where: { agentId },
      create: { agentId, groupId, version },
      update: { version },
    });
  server.ctx.events.publish('configPinsChanged', { groupId, rolloutId: null });
}

async function unpin(groupId: string, agentIds: string[]): Promise<void> {
  await server.ctx.db.agentConfigPin.deleteMany({ where: { agentId: { in: agentIds } } });
  server.ctx.events.publish('configPinsChanged', { groupId, rolloutId: null });
}

const pinnedIn = (agentId: string, groupId: string) => server.app.directory.pinnedVersion(agentId, groupId);

describe('per-agent desired version on the config route', () => {
  it('answers a pinned agent its (older) pin, 204 only for since === pin; the unpinned rule is unchanged', async () => {
    const { group, v3, pinned, other } = await groupAtV3();
    const v2 = v3 - 1;
    await pin(group.id, [pinned.agentId], v2);
    await waitFor(() => pinnedIn(pinned.agentId, group.id) === v2);

    for (const since of [0, v3, v3 + 5]) {
      const res = await poll(pinned.agentId, pinned.agentToken, `since=${since}`);
      expect(res.status, `since=${since}`).toBe(200);
      expect(res.headers.get('x-config-version')).toBe(String(v2));
      expect(await res.text()).toContain('apache_common');
    }
    const queries: string[] = [];
    const stop = server.testDb.db.onQuery((sql) => queries.push(sql));
    try {
      expect((await poll(pinned.agentId, pinned.agentToken, `since=${v2}`)).status).toBe(204);
      expect((await poll(other.agentId, other.agentToken, `since=${v3}`)).status).toBe(204);
      expect((await poll(other.agentId, other.agentToken, `since=${v3 + 5}`)).status).toBe(204);
    } finally {
      stop();
    }
    expect(queries, 'the 204 path stays off the database').toEqual([]);
    const older = await poll(other.agentId, other.agentToken, `since=${v2}`);
    expect(older.status).toBe(200);
    expect(older.headers.get('x-config-version')).toBe(String(v3));
  });

  it('wakes a held poll when its own pin is set or removed, and a pinned one when an all-at-once publish ends the pins', async () => {
    const { group, v3, pinned, other } = await groupAtV3();
    const held = poll(pinned.agentId, pinned.agentToken, `since=${v3}&wait=30`);
    const heldOther = poll(other.agentId, other.agentToken, `since=${v3}&wait=30`);
    await waitFor(() => server.app.longPolls.size === 2);
    await pin(group.id, [pinned.agentId], v3 - 1);
    const res = await held;
    expect(res.status).toBe(200);
    expect(res.headers.get('x-config-version')).toBe(String(v3 - 1));
    expect(server.app.longPolls.size, 'the unpinned agent is still held').toBe(1);

    const heldPinned = poll(pinned.agentId, pinned.agentToken, `since=${v3 - 1}&wait=30`);
    await waitFor(() => server.app.longPolls.size === 2);
    await unpin(group.id, [pinned.agentId]);
    const back = await heldPinned;
    expect(back.status).toBe(200);
    expect(back.headers.get('x-config-version')).toBe(String(v3));
    expect(server.app.longPolls.size, 'the unpinned agent is still held').toBe(1);

    await pin(group.id, [pinned.agentId], v3 - 1);
    await waitFor(() => pinnedIn(pinned.agentId, group.id) === v3 - 1);
    const heldAgain = poll(pinned.agentId, pinned.agentToken, `since=${v3 - 1}&wait=30`);
    await waitFor(() => server.app.longPolls.size === 2);
    const v4 = await changePublishedComponent(server.ctx, group.id, 'demo', {
      options: { format: 'bsd_syslog' },
    });
    const otherRes = await heldOther;
    expect(otherRes.status).toBe(200);
    expect(otherRes.headers.get('x-config-version')).toBe(String(v4));
    // An all-at-once publish moves the baseline for every agent of the group: its pins end with it.
    const last = await heldAgain;
    expect(last.status).toBe(200);
    expect(last.headers.get('x-config-version')).toBe(String(v4));
  });

  it('heals a lost configPinsChanged with the sweep and wakes the held poll then', async () => {
    const { group, v3, pinned } = await groupAtV3();
    const held = poll(pinned.agentId, pinned.agentToken, `since=${v3}&wait=30`);
    await waitFor(() => server.app.longPolls.size === 1);
    await server.ctx.db.agentConfigPin.create({
      data: { agentId: pinned.agentId, groupId: group.id, version: v3 - 2 },
    });
    expect(pinnedIn(pinned.agentId, group.id)).toBeUndefined();
    await server.app.directory.reloadPins();
    const res = await held;
    expect(res.status).toBe(200);
    expect(res.headers.get('x-config-version')).toBe(String(v3 - 2));
  });

  it("drops the pin of a moved agent in the move's transaction: it gets the new group's baseline", async () => {
    const { group, v3, pinned } = await groupAtV3();
    const target = await createGroupWithPipeline(server.ctx);
    await pin(group.id, [pinned.agentId], v3 - 1);
    await waitFor(() => pinnedIn(pinned.agentId, group.id) === v3 - 1);
    await moveAgents(server.ctx, CLI_ACTOR, { agentIds: [pinned.agentId], groupId: target.id });
    expect(await server.ctx.db.agentConfigPin.count({ where: { agentId: pinned.agentId } })).toBe(0);
    const res = await poll(pinned.agentId, pinned.agentToken, `since=${v3 - 1}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-config-version')).toBe(String(target.configVersion));
    await waitFor(() => server.app.directory.pinnedVersion(pinned.agentId, group.id) === undefined);
  });
});

describe('delivered and applied state', () => {
  it('notes every 200 in memory and writes it with the next flush, in one statement', async () => {
    const { group, v3, pinned, other } = await groupAtV3();
    await server.app.heartbeats.flush();
    await pin(group.id, [pinned.agentId], v3 - 1);
    await waitFor(() => pinnedIn(pinned.agentId, group.id) === v3 - 1);
    await poll(pinned.agentId, pinned.agentToken, 'since=0');
    const queries: string[] = [];
    const stop = server.testDb.db.onQuery((sql) => queries.push(sql));
    try {
      for (let i = 0; i < 5; i++) {
        expect((await poll(pinned.agentId, pinned.agentToken, `since=${v3}`)).status).toBe(200);
        expect((await poll(other.agentId, other.agentToken, 'since=0')).status).toBe(200);
      }
    } finally {
      stop();
    }
    expect(queries, 'no database write (or read) per 200').toEqual([]);
    const before = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: pinned.agentId } });
    expect(before.deliveredConfigVersion).toBe(v3);

    const flushed: string[] = [];
    const stopFlush = server.testDb.db.onQuery((sql) => flushed.push(sql));
    try {
      await server.app.heartbeats.flush();
    } finally {
      stopFlush();
    }
    expect(flushed.filter((sql) => sql.includes('delivered_config_version'))).toHaveLength(1);
    const rows = await server.ctx.db.agent.findMany({
      where: { id: { in: [pinned.agentId, other.agentId] } },
      select: { id: true, deliveredConfigVersion: true, deliveredAt: true },
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(pinned.agentId)?.deliveredConfigVersion).toBe(v3 - 1);
    expect(byId.get(other.agentId)?.deliveredConfigVersion).toBe(v3);
    expect(byId.get(pinned.agentId)?.deliveredAt?.getTime()).toBeGreaterThan(before.deliveredAt!.getTime());
  });

  it('stamps appliedAt when the applied version changes, not on every heartbeat', async () => {
    const { pinned, v3 } = await groupAtV3();
    const beat = async (applied: number) => {
      const res = await postJson(
        server.baseUrl + paths.heartbeat(pinned.agentId),
        heartbeatBody({ appliedConfigVersion: applied }),
        pinned.agentToken,
      );
      expect(res.status).toBe(200);
      await server.app.heartbeats.flush();
      return server.ctx.db.agent.findUniqueOrThrow({ where: { id: pinned.agentId } });
    };
    const first = await beat(v3 - 1);
    expect(first.appliedAt).not.toBeNull();
    await waitFor(() => Date.now() > first.appliedAt!.getTime() + 5);
    const same = await beat(v3 - 1);
    expect(same.appliedAt).toEqual(first.appliedAt);
    expect(same.lastHeartbeatAt!.getTime()).toBeGreaterThan(first.appliedAt!.getTime());
    const next = await beat(v3);
    expect(next.appliedConfigVersion).toBe(v3);
    expect(next.appliedAt!.getTime()).toBeGreaterThan(first.appliedAt!.getTime());
  });
});
