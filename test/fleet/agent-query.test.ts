/**
 * Agent queries against the database (both backends): each query selects the same agents in a
 * list, a count and a bulk selection (queries.ts → agentWhere / bulkTargets); negations include
 * agents whose compared value is missing (no label, no error, unparseable version); the sort keys
 * are maintained on enrol and by the batched heartbeat flush; the migration's backfill SQL agrees
 * with sort-keys.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { enrolAgent, setAgentLabels } from '../../api/fleet/agents.ts';
import { agentWhere, bulkTargets } from '../../api/fleet/queries.ts';
import { AgentQueryError } from '../../api/fleet/agent-query.ts';
import { naturalKey, versionKey } from '../../api/fleet/sort-keys.ts';
import type { AgentEntry } from '../../api/fleet/agent-directory.ts';
import type { ParsedHeartbeat } from '../../api/protocol/telemetry.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolBody, heartbeatBody, mintToken } from '../helpers/factories.ts';

let server: TestServer;
const ids: Record<string, string> = {};
const groups: Record<string, { id: string; slug: string; configVersion: number }> = {};

async function heartbeat(host: string, body: Partial<ParsedHeartbeat>, at = new Date()): Promise<void> {
  const agent = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: ids[host] } });
  server.app.heartbeats.add({ id: agent.id, groupId: agent.groupId } as AgentEntry, heartbeatBody(body), at);
  await server.app.heartbeats.flush({ rethrow: true });
}

beforeAll(async () => {
  // The flush timer never fires during a test: only explicit flushes write.
  server = await startTestServer({ env: { FLOTILLA_HEARTBEAT_FLUSH_MS: '60000' } });
  groups.web = await createGroupWithPipeline(server.ctx);
  groups.db = await createGroupWithPipeline(server.ctx);
  const agents = [
    ['web-1', 'web', 'linux', '0.1.0', { env: 'prod' }],
    ['web-2', 'web', 'linux', '0.2.0', { env: 'dev' }],
    ['web-10', 'web', 'kubernetes', '0.2.0-rc.1', {}],
    ['db-1', 'db', 'linux', 'dev', { env: 'prod', team: 'x' }],
  ] as const;
  for (const [hostname, group, platform, agentVersion, labels] of agents) {
    const token = await mintToken(server.ctx, groups[group].id, 1);
    const { agent } = await enrolAgent(server.ctx, enrolBody(token, { hostname, platform, agentVersion }));
    ids[hostname] = agent.id;
    await setAgentLabels(server.ctx, CLI_ACTOR, { agentId: agent.id, labels });
  }
  const failing = { version: groups.web.configVersion, message: 'boom' };
  await heartbeat('web-1', { agentVersion: '0.1.0', configError: failing });
  await heartbeat('web-2', { agentVersion: '0.2.0', appliedConfigVersion: groups.web.configVersion });
  await heartbeat('db-1', { agentVersion: 'dev' }, new Date(Date.now() - 3_600_000));
});
afterAll(() => server.close());

const QUERIES: [string, string[]][] = [
  ['status:online', ['web-1', 'web-2']],
  ['-status:online', ['web-10', 'db-1']],
  ['status:never_seen', ['web-10']],
  ['configStatus:failed', ['web-1']],
  ['-configStatus:failed', ['web-2', 'web-10', 'db-1']],
  ['configStatus:up_to_date', ['web-2']],
  ['label.env=prod', ['web-1', 'db-1']],
  ['-label.env=prod', ['web-2', 'web-10']],
  ['label.env:pr*', ['web-1', 'db-1']],
  ['label.team', ['db-1']],
  ['-label.team', ['web-1', 'web-2', 'web-10']],
  ['agentVersion<0.2.0', ['web-1', 'web-10']],
  ['agentVersion>=0.2.0', ['web-2']],
  ['-agentVersion<0.2.0', ['web-2', 'db-1']],
  ['agentVersion:dev', ['db-1']],
  ['agentVersion:0.2.*', ['web-2', 'web-10']],
  ['vectorVersion>0.57', ['web-1', 'web-2', 'web-10', 'db-1']],
  ['error:boom', ['web-1']],
  ['-error:"boom"', ['web-2', 'web-10', 'db-1']],
  ['error:bo*', ['web-1']],
  ['"web-1*"', ['web-1', 'web-10']],
  ['WEB-2', ['web-2']],
  ['*-1', ['web-1', 'db-1']],
  ['hostname:web-1', ['web-1']],
  ['-web', ['db-1']],
  ['platform:kubernetes OR label.team', ['web-10', 'db-1']],
  ['-(status:online OR label.team)', ['web-10']],
  ['status:online -label.env=dev', ['web-1']],
  ['', ['web-1', 'web-2', 'web-10', 'db-1']],
];

async function select(filter: Parameters<typeof agentWhere>[1]) {
  const now = server.ctx.clock();
  const where = await agentWhere(server.ctx.db, filter, now, server.ctx.tuning.current.offlineAfterMs);
  const rows = await server.ctx.db.agent.findMany({ where, select: { id: true, hostname: true } });
  const count = await server.ctx.db.agent.count({ where });
  return { rows, count, now };
}

describe('agent queries select the same agents in lists, counts and bulk requests', () => {
  it.each(QUERIES)('%j', async (query, hosts) => {
    const { rows, count, now } = await select({ query });
    expect(rows.map((r) => r.hostname).sort()).toEqual([...hosts].sort());
    expect(count).toBe(hosts.length);
    const bulk = await bulkTargets(
      server.ctx.db,
      { filter: { query } },
      now,
      server.ctx.tuning.current.offlineAfterMs,
    );
    expect(bulk.sort()).toEqual(hosts.map((h) => ids[h]).sort());
  });

  it('ANDs the query with the other filter fields', async () => {
    const { rows } = await select({ query: 'label.env=prod', groupIds: [groups.db.id] });
    expect(rows.map((r) => r.hostname)).toEqual(['db-1']);
    const bySlug = await select({ query: `group:${groups.db.slug.toUpperCase()}` });
    expect(bySlug.rows.map((r) => r.hostname)).toEqual(['db-1']);
  });

  it('rejects a malformed query with its position', async () => {
    const error = await agentWhere(
      server.ctx.db,
      { query: 'status:gone' },
      new Date(),
      server.ctx.tuning.current.offlineAfterMs,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentQueryError);
    expect(error).toMatchObject({ position: 7, length: 4, code: 'validation_failed' });
  });
});

describe('sort keys and the config error time', () => {
  it('are written on enrol and by the heartbeat flush', async () => {
    const row = () => server.ctx.db.agent.findUniqueOrThrow({ where: { id: ids['web-10'] } });
    expect(await row()).toMatchObject({
      hostnameSortKey: naturalKey('web-10'),
      agentVersionKey: versionKey('0.2.0-rc.1'),
      vectorVersionKey: versionKey('0.58.0'),
      configErrorAt: null,
    });
    const first = new Date(Date.now() - 60_000);
    const error = { version: 1, message: 'bad sink' };
    await heartbeat('web-10', { agentVersion: '0.3.0', vectorVersion: 'nightly', configError: error }, first);
    expect(await row()).toMatchObject({
      agentVersionKey: versionKey('0.3.0'),
      vectorVersionKey: null,
      configErrorAt: first,
    });
    await heartbeat('web-10', { agentVersion: '0.3.0', configError: error });
    expect((await row()).configErrorAt).toEqual(first);
    const later = new Date();
    await heartbeat('web-10', { agentVersion: '0.3.0', configError: { ...error, message: 'other' } }, later);
    expect((await row()).configErrorAt).toEqual(later);
    await heartbeat('web-10', { agentVersion: '0.2.0-rc.1' });
    expect(await row()).toMatchObject({ configErrorAt: null, agentVersionKey: versionKey('0.2.0-rc.1') });
  });

  it("match the migration's backfill SQL", async () => {
    const dir = path.resolve(import.meta.dirname, '../../prisma/migrations');
    const migration = fs.readdirSync(dir).find((d) => d.endsWith('_agent_sort_keys'));
    const sql = fs.readFileSync(path.join(dir, migration!, 'migration.sql'), 'utf8');
    const block = sql.slice(sql.indexOf('-- sort-keys:begin'), sql.indexOf('-- sort-keys:end'));
    const statements = block
      .split('$$;')
      .map((s) => s.replace(/^--.*$/gm, '').trim())
      .filter(Boolean)
      .map((s) => `${s}$$`);
    expect(statements).toHaveLength(2);
    const inputs = ['web-10', 'Web-2a', '', 'a1b22c333', '12345678901x', 'x.0042.y', 'db-*'];
    const versions = [
      '0.1.0',
      'v2',
      '1.2.3-rc.10',
      '1.0.0-Alpha.1+b7',
      '0.58.0 (x86_64)',
      'dev',
      '1.2.3.4',
      '1.2x',
    ];
    const [natural, version] = await server.ctx.db.$transaction(async (tx) => {
      for (const statement of statements) await tx.$executeRawUnsafe(statement);
      const n = await tx.$queryRawUnsafe<{ k: string | null }[]>(
        'SELECT pg_temp.flotilla_natural_key(t) AS k FROM unnest($1::text[]) WITH ORDINALITY AS u(t, i) ORDER BY i',
        inputs,
      );
      const v = await tx.$queryRawUnsafe<{ k: string | null }[]>(
        'SELECT pg_temp.flotilla_version_key(t) AS k FROM unnest($1::text[]) WITH ORDINALITY AS u(t, i) ORDER BY i',
        versions,
      );
      await tx.$executeRawUnsafe('DROP FUNCTION pg_temp.flotilla_version_key(text)');
      await tx.$executeRawUnsafe('DROP FUNCTION pg_temp.flotilla_natural_key(text)');
      return [n.map((r) => r.k), v.map((r) => r.k)];
    });
    expect(natural).toEqual(inputs.map(naturalKey));
    expect(version).toEqual(versions.map(versionKey));
  });
});
