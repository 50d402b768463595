/** Fleet domain: the action transition table, expiry and offline sweeps (also two at once). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR, type FleetContext } from '../../api/fleet/context.ts';
import { createActions, cancelAction } from '../../api/fleet/actions.ts';
import { TRANSITIONS, canTransition, expireActions } from '../../api/fleet/action-states.ts';
import { sweepOffline } from '../../api/fleet/liveness.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import type { FleetError } from '../../api/fleet/errors.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolOverHttp, mintToken } from '../helpers/factories.ts';

let server: TestServer;
const now = new Date('2026-11-23T12:00:00Z');
beforeAll(async () => {
  server = await startTestServer({ clock: () => now });
  await registerRelease(server.ctx, { version: '0.3.0', bundle: Buffer.from('x') });
});
afterAll(() => server.close());

async function agents(n: number) {
  const group = await createGroupWithPipeline(server.ctx);
  const token = await mintToken(server.ctx, group.id, n);
  return Promise.all(Array.from({ length: n }, () => enrolOverHttp(server.baseUrl, token)));
}

describe('action transitions', () => {
  it('only moves forward; final states never change', () => {
    expect(canTransition('pending', 'running')).toBe(true);
    expect(canTransition('pending', 'done')).toBe(true);
    expect(canTransition('pending', 'cancelled')).toBe(true);
    expect(canTransition('running', 'expired')).toBe(true);
    expect(canTransition('running', 'pending')).toBe(false);
    expect(canTransition('running', 'cancelled')).toBe(false);
    for (const final of ['done', 'failed', 'cancelled', 'expired'] as const)
      expect(TRANSITIONS[final]).toEqual([]);
  });

  it('cancels only pending actions', async () => {
    const [agent] = await agents(1);
    const { actions } = await createActions(server.ctx, CLI_ACTOR, {
      agentIds: [agent.agentId],
      type: 'upgrade_agent',
      payload: { targetVersion: '0.3.0' },
    });
    await cancelAction(server.ctx, CLI_ACTOR, { id: actions[0].id });
    const again = await cancelAction(server.ctx, CLI_ACTOR, { id: actions[0].id }).catch((e: unknown) => e);
    expect((again as FleetError).code).toBe('invalid_transition');
  });

  it('refuses an upgrade to a version the server has no release for', async () => {
    const [agent] = await agents(1);
    const error = await createActions(server.ctx, CLI_ACTOR, {
      agentIds: [agent.agentId],
      type: 'upgrade_agent',
      payload: { targetVersion: '7.7.7' },
    }).catch((e: unknown) => e);
    expect((error as FleetError).code).toBe('release_not_found');
    expect(await server.ctx.db.action.count({ where: { agentId: agent.agentId } })).toBe(0);
  });

  it('expires pending and running actions past their deadline exactly once, even with two sweeps at once', async () => {
    const list = await agents(4);
    await createActions(server.ctx, CLI_ACTOR, {
      agentIds: list.map((a) => a.agentId),
      type: 'upgrade_agent',
      payload: { targetVersion: '0.3.0' },
    });
    const ids = list.map((a) => a.agentId);
    await server.ctx.db.action.updateMany({ where: { agentId: ids[0] }, data: { status: 'running' } });
    await server.ctx.db.action.updateMany({ where: { agentId: ids[1] }, data: { status: 'done' } });
    const seen: string[] = [];
    const off = server.events.subscribe('actionUpdated', (e) => {
      if (e.status === 'expired') seen.push(e.actionId);
    });
    const later: FleetContext = {
      ...server.ctx,
      clock: () => new Date(now.getTime() + server.ctx.tuning.current.actionDeadlineMs + 1000),
    };
    const [a, b] = await Promise.all([expireActions(later), expireActions(later)]);
    off();
    expect(a + b).toBe(3);
    expect(seen).toHaveLength(3);
    const statuses = await server.ctx.db.action.findMany({
      where: { agentId: { in: ids } },
      select: { agentId: true, status: true },
    });
    expect(statuses.find((s) => s.agentId === ids[1])!.status).toBe('done');
    expect(statuses.filter((s) => s.status === 'expired')).toHaveLength(3);
  });
});

describe('liveness', () => {
  it('stamps wentOfflineAt once per outage, also with two sweeps at once, and a heartbeat clears it', async () => {
    const list = await agents(3);
    const ids = list.map((a) => a.agentId);
    const old = new Date(now.getTime() - server.ctx.tuning.current.offlineAfterMs - 60_000);
    await server.ctx.db.agent.updateMany({
      where: { id: { in: ids.slice(0, 2) } },
      data: { lastHeartbeatAt: old },
    });
    await server.ctx.db.agent.update({ where: { id: ids[2] }, data: { lastHeartbeatAt: now } });
    const [a, b] = await Promise.all([sweepOffline(server.ctx), sweepOffline(server.ctx)]);
    expect(a + b).toBe(2);
    const rows = await server.ctx.db.agent.findMany({ where: { id: { in: ids } }, orderBy: { id: 'asc' } });
    const stamped = rows
      .filter((r) => r.wentOfflineAt !== null)
      .map((r) => r.id)
      .sort();
    expect(stamped).toEqual(ids.slice(0, 2).sort());
    expect(await sweepOffline(server.ctx)).toBe(0);
  });
});
