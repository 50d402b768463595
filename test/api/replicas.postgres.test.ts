/**
 * Two real server processes behind no shared memory, sharing one PostgreSQL and Redis: a config
 * change made through one wakes a poll held on the other, a heartbeat on one reaches a dashboard
 * subscriber on the other, and the offline sweep (running on both) stamps an agent once.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { createRedisBus } from '../../api/fleet/events.ts';
import { createTestDb } from '../helpers/db.ts';
import { handOver, runCli, startServerProcess, type ProcessDb } from '../helpers/process.ts';
import { enrolOverHttp, heartbeatBody, postJson, waitFor } from '../helpers/factories.ts';
import { gqlData, subscribe, wsClient, type Loose } from '../graphql/helpers.ts';

const REDIS_URL = process.env.FLOTILLA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `flotilla-replicas-${crypto.randomUUID()}`;

let db: ProcessDb;
let servers: Awaited<ReturnType<typeof startServerProcess>>[] = [];
let apiToken: string;
let enrolToken: string;
const base = (i: number) => `http://127.0.0.1:${servers[i].port}`;

beforeAll(async () => {
  db = await handOver(await createTestDb());
  await runCli(['group', 'create', '--slug', 'replicas'], db.env);
  enrolToken = (
    await runCli(['token', 'mint', '--group', 'replicas', '--max-uses', '5', '--ttl', '1h'], db.env)
  ).stdout.trim();
  await runCli(
    ['user', 'create', '--email', 'ops@example.com', '--role', 'admin', '--password-stdin'],
    db.env,
    'replica test password\n',
  );
  apiToken = (
    await runCli(['api-token', 'create', '--user', 'ops@example.com', '--name', 'replicas'], db.env)
  ).stdout.trim();
  const env = {
    ...db.env,
    REDIS_URL,
    FLOTILLA_REDIS_PREFIX: prefix,
    FLOTILLA_SWEEP_INTERVAL_SECONDS: '1',
    LOG_LEVEL: 'info',
  };
  servers = await Promise.all([startServerProcess(env), startServerProcess(env)]);
}, 180_000);

afterAll(async () => {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise((resolve) =>
          s.child.exitCode !== null
            ? resolve(null)
            : (s.child.once('exit', resolve), s.child.kill('SIGTERM')),
        ),
    ),
  );
  await db.destroy();
});

const gqlAs = (i: number, query: string, variables: Loose) =>
  gqlData(base(i), query, variables, { token: apiToken });

describe('two server processes sharing PostgreSQL and Redis', { timeout: 60_000 }, () => {
  it('a config change made through one wakes a poll held on the other', async () => {
    const agent = await enrolOverHttp(base(0), enrolToken);
    const held = fetch(`${base(1)}${paths.config(agent.agentId)}?since=${agent.configVersion}&wait=30`, {
      headers: { authorization: `Bearer ${agent.agentToken}` },
    });
    await new Promise((r) => setTimeout(r, 300));
    const output = await gqlAs(
      0,
      'mutation($input: CreateOutputInput!) { createOutput(input: $input) { __typename } }',
      {
        input: { groupId: agent.groupId, name: 'out', type: 'blackhole' },
      },
    );
    expect(output.createOutput.__typename).toBe('CreateOutputPayload');
    const res = await held;
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('x-config-version'))).toBeGreaterThan(agent.configVersion);
  });

  it('a heartbeat handled by one reaches an agentUpdated subscriber connected to the other', async () => {
    const agent = await enrolOverHttp(base(0), enrolToken);
    const sub = await subscribe(
      wsClient(base(1), { token: apiToken }),
      'subscription($id: ID) { agentUpdated(agentId: $id) { agents { id lastHeartbeatAt } } }',
      {
        id: agent.agentId,
      },
    );
    try {
      expect(
        (await postJson(base(0) + paths.heartbeat(agent.agentId), heartbeatBody(), agent.agentToken)).status,
      ).toBe(200);
      await sub.next(
        (m: Loose) => m.agentUpdated.agents.some((a: Loose) => a.id === agent.agentId && a.lastHeartbeatAt),
        10_000,
      );
    } finally {
      await sub.close();
    }
  });

  it('stamps a silent agent offline once although both processes sweep every second', async () => {
    const agent = await enrolOverHttp(base(0), enrolToken);
    const offline: string[] = [];
    const bus = createRedisBus(REDIS_URL, prefix);
    await bus.ready();
    bus.subscribe('agentUpdated', (e) => {
      if (e.agentId === agent.agentId && e.change === 'offline') offline.push(e.agentId);
    });
    const admin = new pg.Client({ connectionString: db.env.DATABASE_URL });
    await admin.connect();
    try {
      await admin.query("UPDATE agents SET last_heartbeat_at = now() - interval '10 minutes' WHERE id = $1", [
        agent.agentId,
      ]);
      await waitFor(() => offline.length > 0, 10_000);
      // Both processes sweep every second: after three more rounds each, still one transition.
      await new Promise((r) => setTimeout(r, 3000));
      expect(offline).toHaveLength(1);
      const row = await admin.query('SELECT went_offline_at FROM agents WHERE id = $1', [agent.agentId]);
      expect(row.rows[0].went_offline_at).not.toBeNull();
    } finally {
      await admin.end();
      await bus.close();
    }
  });
});
