/**
 * The failures view (both backends): failing agents grouped by error message with counts, first and
 * last seen times and groups; agents with an error about an older version (behind) and revoked
 * agents are left out; each group's `query` selects exactly its agents; and the GraphQL field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { enrolAgent, revokeAgents } from '../../api/fleet/agents.ts';
import { agentFailures } from '../../api/fleet/failures.ts';
import { agentWhere } from '../../api/fleet/queries.ts';
import type { AgentEntry } from '../../api/fleet/agent-directory.ts';
import type { ParsedHeartbeat } from '../../api/protocol/telemetry.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolBody, heartbeatBody, mintToken } from '../helpers/factories.ts';
import { createTestUser, gqlData } from '../graphql/helpers.ts';

let server: TestServer;
const ids: Record<string, string> = {};
let web: { id: string; slug: string; configVersion: number };
let db: { id: string; slug: string; configVersion: number };
const T0 = new Date(Date.now() - 600_000);
const T1 = new Date(Date.now() - 300_000);
const T2 = new Date(Date.now() - 60_000);
const LONG = `sink "out": ${'x'.repeat(16 * 1024 - 20)} "quoted" \\ end`;

async function heartbeat(host: string, body: Partial<ParsedHeartbeat>, at: Date): Promise<void> {
  const agent = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: ids[host] } });
  server.app.heartbeats.add({ id: agent.id, groupId: agent.groupId } as AgentEntry, heartbeatBody(body), at);
  await server.app.heartbeats.flush({ rethrow: true });
}

beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_HEARTBEAT_FLUSH_MS: '60000' } });
  web = await createGroupWithPipeline(server.ctx);
  db = await createGroupWithPipeline(server.ctx);
  const hosts = { 'web-1': web, 'web-2': web, 'web-3': web, 'web-4': web, 'db-1': db, 'db-2': db };
  for (const [hostname, group] of Object.entries(hosts)) {
    const token = await mintToken(server.ctx, group.id, 1);
    ids[hostname] = (await enrolAgent(server.ctx, enrolBody(token, { hostname }))).agent.id;
  }
  const boom = (g: typeof web) => ({ version: g.configVersion, message: 'boom' });
  await heartbeat('web-1', { configError: boom(web) }, T1);
  await heartbeat('web-1', { configError: boom(web) }, T2);
  await heartbeat('db-1', { configError: boom(db) }, T0);
  await heartbeat('web-2', { configError: { version: web.configVersion, message: LONG } }, T1);
  await heartbeat('web-3', { configError: { version: 0, message: 'old news' } }, T1);
  await heartbeat('db-2', { configError: boom(db) }, T2);
  await revokeAgents(server.ctx, CLI_ACTOR, { agentIds: [ids['db-2']] });
});
afterAll(() => server.close());

async function hostsOf(query: string): Promise<string[]> {
  const where = await agentWhere(
    server.ctx.db,
    { query },
    server.ctx.clock(),
    server.ctx.tuning.current.offlineAfterMs,
  );
  const rows = await server.ctx.db.agent.findMany({ where, select: { hostname: true } });
  return rows.map((r) => r.hostname).sort();
}

describe('agentFailures', () => {
  it('groups failing agents by message, most first, with times, groups and their query', async () => {
    const failures = await agentFailures(server.ctx.db, null);
    expect(failures.map((f) => [f.message.slice(0, 10), f.count])).toEqual([
      ['boom', 2],
      [LONG.slice(0, 10), 1],
    ]);
    const [boom, long] = failures;
    expect(boom).toMatchObject({ firstSeenAt: T0, lastSeenAt: T2 });
    expect(boom.groupIds.sort()).toEqual([web.id, db.id].sort());
    expect(boom.query).toBe('configStatus:failed error:boom');
    expect(await hostsOf(boom.query)).toEqual(['db-1', 'web-1']);
    expect(long.message).toBe(LONG);
    expect(await hostsOf(long.query)).toEqual(['web-2']);
  });

  it('narrows to one group, and its query does too', async () => {
    const failures = await agentFailures(server.ctx.db, db.id);
    expect(failures).toEqual([
      {
        message: 'boom',
        count: 1,
        firstSeenAt: T0,
        lastSeenAt: T0,
        groupIds: [db.id],
        query: `configStatus:failed error:boom group:${db.slug}`,
      },
    ]);
    expect(await hostsOf(failures[0].query)).toEqual(['db-1']);
  });

  it('is served over GraphQL', async () => {
    const viewer = await createTestUser(server.ctx, 'viewer');
    const data = await gqlData(
      server.baseUrl,
      `query($groupId: ID) { agentFailures(groupId: $groupId) { message count firstSeenAt lastSeenAt groups { slug } query } }`,
      { groupId: web.id },
      { token: viewer.token },
    );
    expect(data.agentFailures.map((f: { count: number }) => f.count)).toEqual([1, 1]);
    expect(data.agentFailures[0]).toEqual({
      message: 'boom',
      count: 1,
      firstSeenAt: T1.toISOString(),
      lastSeenAt: T2.toISOString(),
      groups: [{ slug: web.slug }],
      query: `configStatus:failed error:boom group:${web.slug}`,
    });
  });
});
