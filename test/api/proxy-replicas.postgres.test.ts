/**
 * The replica topology of api/deploy/ with real parts: Debian's nginx, configured from
 * api/deploy/nginx.conf, round-robin in front of two server processes on one PostgreSQL and Redis;
 * simulated agents and a dashboard subscription go through the proxy. One replica is killed with
 * SIGKILL while upgrade actions run: the agents carry on through the other, no action result is lost
 * or applied twice, held polls come back through the survivor (a config change still reaches every
 * agent) and the subscription resumes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../agent/sim/fleet.ts';
import { defaultOptions } from '../../agent/sim/options.ts';
import { createTestDb } from '../helpers/db.ts';
import { handOver, ROOT, runCli, startServerProcess, type ProcessDb } from '../helpers/process.ts';
import { waitFor } from '../helpers/factories.ts';
import { gqlData, type Loose } from '../graphql/helpers.ts';

const REDIS_URL = process.env.FLOTILLA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const AGENTS = 30;
const NGINX = '/usr/sbin/nginx';

let dir: string;
let db: ProcessDb;
let servers: Awaited<ReturnType<typeof startServerProcess>>[] = [];
let nginx: ChildProcess | undefined;
let proxy: string;
let apiToken: string;
let groupId: string;
let fleet: Fleet | undefined;

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** api/deploy/nginx.conf with the two replicas' ports and `port` to listen on, in a full nginx config. */
async function nginxConfig(port: number, upstreams: number[]): Promise<string> {
  const site = (await fs.readFile(path.join(ROOT, 'api/deploy/nginx.conf'), 'utf8'))
    .replace(/server flotilla-1:8080;/, `server 127.0.0.1:${upstreams[0]};`)
    .replace(/server flotilla-2:8080;/, `server 127.0.0.1:${upstreams[1]};`)
    .replace(/listen 8080;/, `listen 127.0.0.1:${port};`);
  expect(site).not.toMatch(/flotilla-[12]:|listen 8080/);
  const temp = (name: string) => `${name}_temp_path ${path.join(dir, name)};`;
  return [
    'daemon off;',
    'worker_processes 1;',
    `pid ${path.join(dir, 'nginx.pid')};`,
    `error_log ${path.join(dir, 'nginx-error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `  ${temp(name)}`),
    site,
    '}',
  ].join('\n');
}

const gql = (query: string, variables: Loose = {}) => gqlData(proxy, query, variables, { token: apiToken });

/** A graphql-ws client through the proxy that reconnects, as the dashboard's does. */
function reconnectingClient(): Client {
  return createClient({
    url: `${proxy.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${apiToken}` },
    retryAttempts: 20,
    retryWait: () => new Promise((resolve) => setTimeout(resolve, 200)),
    shouldRetry: () => true,
  });
}

beforeAll(async () => {
  if (!(await fs.stat(NGINX).catch(() => null)))
    throw new Error(`${NGINX} is missing: install Debian's nginx (.ci/run does)`);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-proxy-'));
  db = await handOver(await createTestDb());
  await runCli(['group', 'create', '--slug', 'proxied'], db.env);
  const enrolToken = (
    await runCli(['token', 'mint', '--group', 'proxied', '--max-uses', String(AGENTS), '--ttl', '1h'], db.env)
  ).stdout.trim();
  const release = path.join(dir, 'release.mjs');
  await fs.writeFile(release, '// a release the simulated agents download\n');
  await runCli(['release', 'add', release, '--version', '2.0.0'], db.env);
  await runCli(
    ['user', 'create', '--email', 'ops@example.com', '--role', 'admin', '--password-stdin'],
    db.env,
    'proxy test password\n',
  );
  apiToken = (
    await runCli(['api-token', 'create', '--user', 'ops@example.com', '--name', 'proxy'], db.env)
  ).stdout.trim();
  const env = {
    ...db.env,
    REDIS_URL,
    FLOTILLA_REDIS_PREFIX: `flotilla-proxy-${crypto.randomUUID()}`,
    FLOTILLA_TRUST_PROXY: '1',
    LOG_LEVEL: 'info',
  };
  servers = await Promise.all([startServerProcess(env), startServerProcess(env)]);

  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  await fs.writeFile(
    conf,
    await nginxConfig(
      port,
      servers.map((s) => s.port),
    ),
  );
  const check = spawnSync(NGINX, ['-t', '-c', conf, '-p', dir], { encoding: 'utf8' });
  expect(check.status, check.stderr).toBe(0);
  nginx = spawn(NGINX, ['-c', conf, '-p', dir], { stdio: 'ignore' });
  proxy = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${proxy}/healthz`)).ok, 20_000, 100);

  groupId = (await gql('query { group(slug: "proxied") { id } }')).group.id;
  fleet = await startFleet({
    ...defaultOptions(proxy, [enrolToken], AGENTS),
    heartbeatIntervalMs: 500,
    pollIntervalMs: 300,
    longPollSeconds: 5,
    applyDelayMs: 20,
    upgradeDelayMs: 300,
    enrolConcurrency: 10,
  });
}, 180_000);

afterAll(async () => {
  await fleet?.stop().catch(() => undefined);
  nginx?.kill('SIGTERM');
  for (const s of servers)
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
  await Promise.all(
    servers.map((s) =>
      s.child.exitCode !== null || s.child.signalCode !== null
        ? null
        : new Promise((resolve) => s.child.once('exit', resolve)),
    ),
  );
  await db?.destroy();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('two replicas behind nginx', () => {
  it('keeps the fleet working through the survivor when one replica is killed mid-run', async () => {
    const running = await fleet!.waitFor((s) => s.agents.enrolled === AGENTS, 30_000);
    expect(running.agents.enrolFailed).toBe(0);

    const client = reconnectingClient();
    const updates: number[] = [];
    client.subscribe(
      {
        query: 'subscription($g: ID) { agentUpdated(groupId: $g) { agents { id } } }',
        variables: { g: groupId },
      },
      { next: () => void updates.push(Date.now()), error: () => undefined, complete: () => undefined },
    );
    await waitFor(() => updates.length > 0, 20_000, 50);

    const bulk = await gql(
      'mutation($input: CreateBulkActionInput!) { createBulkAction(input: $input) { __typename ... on CreateBulkActionPayload { bulkId } } }',
      {
        input: {
          type: 'upgrade_agent',
          payload: { targetVersion: '2.0.0' },
          filter: { groupIds: [groupId] },
        },
      },
    );
    expect(bulk.createBulkAction.__typename).toBe('CreateBulkActionPayload');
    // Mid-run: some agents have their action, none has finished it yet (each takes 300 ms).
    await fleet!.waitFor((s) => s.actions.received > 0, 10_000);
    process.kill(servers[0].pid, 'SIGKILL');
    const killedAt = Date.now();

    await fleet!.waitFor((s) => s.actions.done === AGENTS, 30_000);
    // The subscription came back through the survivor and hears heartbeats again.
    await waitFor(() => updates.some((t) => t > killedAt + 1000), 20_000, 50);

    // Held polls came back through the survivor: a change made now reaches every agent.
    const renamed = await gql(
      'mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { ... on UpdateGroupPayload { group { configVersion } } } }',
      { input: { id: groupId, name: 'Proxied again' } },
    );
    const version = String(renamed.updateGroup.group.configVersion);
    await fleet!.waitFor((s) => (s.versions[version]?.applied ?? 0) === AGENTS, 30_000);

    const report = await fleet!.stop();
    await client.dispose();
    expect(report.actions).toMatchObject({ received: AGENTS, done: AGENTS, lost: 0, duplicated: 0 });
    const actions = await gql(
      'query($b: ID!) { actions(filter: { bulkId: $b }, first: 100) { edges { node { status } } } }',
      { b: bulk.createBulkAction.bulkId },
    );
    expect(actions.actions.edges.map((e: Loose) => e.node.status)).toEqual(new Array(AGENTS).fill('done'));
  }, 150_000);
});
