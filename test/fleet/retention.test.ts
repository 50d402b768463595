/**
 * Retention (api/fleet/retention.ts) on both databases: what is past its keep-time goes, in batches
 * of the given size, and everything else stays — unfinished actions, recent rows, live agents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { enrolAgent } from '../../api/fleet/agents.ts';
import { createGroup } from '../../api/fleet/groups.ts';
import { pruneExpired, type RetentionPolicy } from '../../api/fleet/retention.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { enrolBody, mintToken, uniqueSlug } from '../helpers/factories.ts';

const NOW = new Date('2026-12-06T12:00:00Z');
const POLICY: RetentionPolicy = {
  actionsDays: 90,
  auditDays: 365,
  revokedAgentsDays: 30,
  diagnosticsDays: 14,
};
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ clock: () => NOW });
});
afterAll(() => server.close());

async function agent(revokedAt: Date | null): Promise<string> {
  const group = await createGroup(server.ctx, CLI_ACTOR, { slug: uniqueSlug('rt'), name: uniqueSlug('Rt') });
  const { agent } = await enrolAgent(server.ctx, enrolBody(await mintToken(server.ctx, group.id)));
  await server.ctx.db.agent.update({ where: { id: agent.id }, data: { revokedAt } });
  return agent.id;
}

describe('retention', () => {
  it('prunes old finished actions, old audit events, long-revoked agents and expired sessions in batches', async () => {
    const db = server.ctx.db;
    const live = await agent(null);
    const revokedLongAgo = await agent(daysAgo(31));
    const revokedRecently = await agent(daysAgo(29));
    const action = (agentId: string, status: 'done' | 'failed' | 'pending' | 'expired', createdAt: Date) => ({
      agentId,
      type: 'upgrade_agent',
      status,
      createdAt,
      deadline: createdAt,
    });
    await db.action.createMany({
      data: [
        ...['done', 'failed', 'expired', 'done', 'done'].map((s) => action(live, s as 'done', daysAgo(91))),
        action(live, 'pending', daysAgo(200)),
        action(live, 'done', daysAgo(89)),
        action(revokedLongAgo, 'pending', daysAgo(1)),
      ],
    });
    await db.auditEvent.deleteMany();
    await db.auditEvent.createMany({
      data: [366, 366, 366, 364].map((days) => ({
        actorType: 'system',
        actorLabel: 'test',
        action: 'test.event',
        targetType: 'agent',
        createdAt: daysAgo(days),
      })),
    });
    const user = await db.user.create({
      data: { email: 'r@example.com', passwordHash: 'x', role: 'viewer' },
    });
    await db.session.createMany({
      data: [
        { userId: user.id, tokenHash: 'expired', expiresAt: daysAgo(0.001) },
        { userId: user.id, tokenHash: 'valid', expiresAt: daysAgo(-1) },
      ],
    });

    const report = await pruneExpired(server.ctx, POLICY, NOW, 2);
    // The revoked agent's own pending action goes with it (cascade), not as an action batch.
    expect(report).toMatchObject({ actions: 5, auditEvents: 3, agents: 1, sessions: 1 });
    // Five old actions two at a time: 2 + 2 + 1, the last batch short; three audit rows: 2 + 1;
    // one batch each for agents, sessions and diagnostics.
    expect(report.batches).toBe(3 + 2 + 1 + 1 + 1);

    const actions = await db.action.findMany({ orderBy: { createdAt: 'asc' } });
    expect(actions.map((a) => [a.agentId, a.status])).toEqual([
      [live, 'pending'],
      [live, 'done'],
    ]);
    expect((await db.auditEvent.findMany()).map((e) => e.createdAt)).toEqual([daysAgo(364)]);
    const agents = await db.agent.findMany({
      where: { id: { in: [live, revokedLongAgo, revokedRecently] } },
    });
    expect(agents.map((a) => a.id).sort()).toEqual([live, revokedRecently].sort());
    expect((await db.session.findMany()).map((s) => s.tokenHash)).toEqual(['valid']);

    expect(await pruneExpired(server.ctx, POLICY, NOW, 2)).toMatchObject({
      actions: 0,
      auditEvents: 0,
      agents: 0,
      sessions: 0,
      diagnostics: 0,
      batches: 5,
    });
  });

  it("runs as the server's leased retention job with the FLOTILLA_RETAIN_* settings", async () => {
    const db = server.ctx.db;
    await db.auditEvent.createMany({
      data: [366, 1].map((days) => ({
        actorType: 'system',
        actorLabel: 'test',
        action: 'job.event',
        targetType: 'agent',
        createdAt: daysAgo(days),
      })),
    });
    await server.app.retention.runOnce();
    expect(server.app.retention.holding()).toBe(true);
    expect(
      (await db.auditEvent.findMany({ where: { action: 'job.event' } })).map((e) => e.createdAt),
    ).toEqual([daysAgo(1)]);
  });
});
