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
    await runCli(['token', 'mint', '--group', 'replicas', '--max-uses', '30', '--ttl', '1h'], db.env)
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
    const poll = () =>
      fetch(`${base(1)}${paths.config(agent.agentId)}?since=${agent.configVersion}&wait=30`, {
        headers: { authorization: `Bearer ${agent.agentToken}` },
      });
    // A second held poll of one agent replaces the first, which is answered 204 at once: so once one
    // of two polls came back 204, the other is held on the server (no sleeping until it arrives).
    const polls = [poll(), poll()];
    const first = await Promise.race(polls.map((p, i) => p.then((res) => ({ res, i }))));
    expect(first.res.status).toBe(204);
    const held = polls[1 - first.i];
    // Renaming the group publishes its pipeline as a new config version.
    const renamed = await gqlAs(
      0,
      'mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { __typename } }',
      { input: { id: agent.groupId, name: 'Replicas renamed' } },
    );
    expect(renamed.updateGroup.__typename).toBe('UpdateGroupPayload');
    // 200, not the 204 of a timeout: the change woke it (wait=30 is beyond the test's timeout).
    const res = await held;
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('x-config-version'))).toBeGreaterThan(agent.configVersion);
  });

  it('a heartbeat handled by one reaches an agentUpdated subscriber connected to the other', async () => {
    const agent = await enrolOverHttp(base(0), enrolToken);
    const sub = await subscribe(
      'unconfirmed',
      wsClient(base(1), { token: apiToken }),
      'subscription($id: ID) { agentUpdated(agentId: $id) { agents { id lastHeartbeatAt } } }',
      {
        id: agent.agentId,
      },
    );
    try {
      // The other process's bus cannot be watched from here: heartbeat until the subscriber hears one.
      await waitFor(
        async () => {
          const seen = sub.messages.find((m: Loose) =>
            m.agentUpdated.agents.some((a: Loose) => a.id === agent.agentId && a.lastHeartbeatAt),
          );
          if (!seen) {
            const res = await postJson(
              base(0) + paths.heartbeat(agent.agentId),
              heartbeatBody(),
              agent.agentToken,
            );
            expect(res.status).toBe(200);
          }
          return seen;
        },
        20_000,
        500,
      );
    } finally {
      await sub.close();
    }
  });

  it('stamps a silent agent offline once although both processes sweep every second', async () => {
    const agent = await enrolOverHttp(base(0), enrolToken);
    const stamped = new Map<string, number>();
    const bus = createRedisBus(REDIS_URL, prefix);
    await bus.ready();
    bus.subscribe('agentUpdated', (e) => {
      if (e.change === 'offline') stamped.set(e.agentId, (stamped.get(e.agentId) ?? 0) + 1);
    });
    const admin = new pg.Client({ connectionString: db.env.DATABASE_URL });
    await admin.connect();
    const silence = (agentId: string) =>
      admin.query("UPDATE agents SET last_heartbeat_at = now() - interval '10 minutes' WHERE id = $1", [
        agentId,
      ]);
    /** Sweeps of process i that stamped an agent (each logs one "sweep" line). */
    const sweeps = (i: number) =>
      servers[i]
        .logs()
        .split('\n')
        .filter((l) => l.includes('"msg":"sweep"')).length;
    try {
      await silence(agent.agentId);
      await waitFor(() => stamped.has(agent.agentId), 10_000);
      await waitFor(() => sweeps(0) + sweeps(1) >= 1, 10_000);
      // Then each process in turn stamps an agent while the other is frozen (SIGSTOP): both kept
      // sweeping after the first agent went offline, and neither stamped it again.
      for (const [sweeper, frozen] of [
        [0, 1],
        [1, 0],
      ]) {
        const before = sweeps(sweeper);
        process.kill(servers[frozen].pid, 'SIGSTOP');
        try {
          const other = await enrolOverHttp(base(sweeper), enrolToken);
          await silence(other.agentId);
          await waitFor(() => stamped.has(other.agentId), 10_000);
          await waitFor(() => sweeps(sweeper) > before, 10_000);
        } finally {
          process.kill(servers[frozen].pid, 'SIGCONT');
        }
      }
      expect(stamped.get(agent.agentId)).toBe(1);
      const row = await admin.query('SELECT went_offline_at FROM agents WHERE id = $1', [agent.agentId]);
      expect(row.rows[0].went_offline_at).not.toBeNull();
    } finally {
      await admin.end();
      await bus.close();
    }
  });
});
