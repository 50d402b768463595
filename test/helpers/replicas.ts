/**
 * The replica topology of api/deploy/ with real parts: Debian's nginx, configured from
 * api/deploy/nginx.conf, round-robin in front of two server processes on one PostgreSQL database
 * and Redis, with a group, enrolment tokens, an agent release and an admin's API token. Shared by
 * test/api/proxy-replicas.postgres.test.ts and the replica benchmark (test/bench/replicas.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createClient, type Client, type EventListener } from 'graphql-ws';
import WebSocket from 'ws';
import { createTestDb } from './db.ts';
import { waitFor } from './factories.ts';
import {
  handOver,
  ROOT,
  runCli,
  startServerProcess,
  type Launch,
  type ProcessDb,
  type ServerProcess,
} from './process.ts';
import { gqlData, type Loose } from '../graphql/helpers.ts';

export const NGINX = '/usr/sbin/nginx';
const REDIS_URL = process.env.FLOTILLA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The release the simulated agents are upgraded to. */
export const RELEASE_VERSION = '2.0.0';

export interface ReplicaSetOptions {
  /** The group's slug (and a part of the Redis prefix). */
  slug: string;
  /** Enrolments the tokens allow between them. */
  agents: number;
  /** Bootstrap tokens to spread the enrolments over (each token's uses take turns on its row lock). */
  tokens?: number;
  /** Server settings on top of the database and Redis. */
  env?: Record<string, string>;
  /** Wraps each server's and nginx's command (e.g. pins them to a core). */
  launch?: Launch;
}

export interface ReplicaSet {
  db: ProcessDb;
  sql: pg.Client;
  /** Every replica's environment (to start one again). */
  env: Record<string, string>;
  servers: ServerProcess[];
  /** The proxy's base URL. */
  proxy: string;
  apiToken: string;
  enrolTokens: string[];
  groupId: string;
  /** Run a GraphQL operation through the proxy as the admin; throws on errors. */
  gql(query: string, variables?: Loose): Promise<Loose>;
  /** A graphql-ws client through the proxy that reconnects without end, as the dashboard's does. */
  dashboard(on?: Partial<{ connected: EventListener<'connected'>; closed: EventListener<'closed'> }>): Client;
  /** Unexpired holders of the leases `names`, by job name; renewed after `since` when given. */
  holders(names: string[], ttlMs: number, since?: Date): Promise<Record<string, string>>;
  /**
   * Freeze every other replica until replica `index` has renewed every lease of `names` after the
   * freeze (the frozen ones cannot renew, so those holders are replica `index`'s jobs); resolves
   * them by job name. `during` runs while the others are frozen (e.g. starts a rollout, whose
   * lease is only taken while one runs).
   */
  leasesTo(
    index: number,
    names: string[],
    ttlMs: number,
    during?: () => Promise<void>,
  ): Promise<Record<string, string>>;
  /** Stop nginx and the replicas left, and drop the database. */
  stop(): Promise<void>;
}

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** api/deploy/nginx.conf with the two replicas' ports and `port` to listen on, in a full nginx config. */
async function nginxConfig(dir: string, port: number, upstreams: number[]): Promise<string> {
  const site = (await fs.readFile(path.join(ROOT, 'api/deploy/nginx.conf'), 'utf8'))
    .replace(/server flotilla-1:8080\b/, `server 127.0.0.1:${upstreams[0]}`)
    .replace(/server flotilla-2:8080\b/, `server 127.0.0.1:${upstreams[1]}`)
    .replace(/listen 8080\b/, `listen 127.0.0.1:${port}`);
  if (/flotilla-[12]:|listen 8080/.test(site)) throw new Error('api/deploy/nginx.conf changed shape');
  const temp = (name: string) => `${name}_temp_path ${path.join(dir, name)};`;
  return [
    'daemon off;',
    'worker_processes 1;',
    `pid ${path.join(dir, 'nginx.pid')};`,
    `error_log ${path.join(dir, 'nginx-error.log')} warn;`,
    'events { worker_connections 16384; }',
    'worker_rlimit_nofile 20000;',
    'http {',
    '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `  ${temp(name)}`),
    site,
    '}',
  ].join('\n');
}

/** Start nginx in front of `upstreams`; resolves its URL once it answers /healthz. */
async function startNginx(dir: string, upstreams: number[], launch: Launch) {
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  await fs.writeFile(conf, await nginxConfig(dir, port, upstreams));
  const check = spawnSync(NGINX, ['-t', '-c', conf, '-p', dir], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t failed: ${check.stderr}`);
  const child = spawn(...launch(NGINX, ['-c', conf, '-p', dir]), { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/healthz`)).ok, 20_000, 100);
  return { child, url };
}

const running = (s: ServerProcess) => s.child.exitCode === null && s.child.signalCode === null;

/** Start the topology; on failure what was started is stopped again. */
export async function startReplicaSet(options: ReplicaSetOptions): Promise<ReplicaSet> {
  if (!(await fs.stat(NGINX).catch(() => null)))
    throw new Error(`${NGINX} is missing: install Debian's nginx (.ci/run does)`);
  const launch = options.launch ?? ((command, args) => [command, args]);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-proxy-'));
  const db = await handOver(await createTestDb());
  let sql: pg.Client | undefined;
  let nginx: ChildProcess | undefined;
  let servers: ServerProcess[] = [];
  const stop = async () => {
    nginx?.kill('SIGTERM');
    for (const s of servers.filter(running)) {
      process.kill(s.pid, 'SIGCONT');
      s.child.kill('SIGTERM');
    }
    await Promise.all(
      servers.filter(running).map((s) => new Promise((resolve) => s.child.once('exit', resolve))),
    );
    await sql?.end().catch(() => undefined);
    await db.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  };
  try {
    const { slug, agents } = options;
    await runCli(['group', 'create', '--slug', slug], db.env);
    const enrolTokens: string[] = [];
    const tokens = options.tokens ?? 1;
    for (let i = 0; i < tokens; i++) {
      const uses = String(Math.ceil(agents / tokens));
      const minted = await runCli(
        ['token', 'mint', '--group', slug, '--max-uses', uses, '--ttl', '1h'],
        db.env,
      );
      enrolTokens.push(minted.stdout.trim());
    }
    const release = path.join(dir, 'release.mjs');
    await fs.writeFile(release, '// a release the simulated agents download\n');
    await runCli(['release', 'add', release, '--version', RELEASE_VERSION], db.env);
    await runCli(
      ['user', 'create', '--email', 'ops@example.com', '--role', 'admin', '--password-stdin'],
      db.env,
      'proxy test password\n',
    );
    const apiToken = (
      await runCli(['api-token', 'create', '--user', 'ops@example.com', '--name', 'proxy'], db.env)
    ).stdout.trim();
    const env = {
      ...db.env,
      REDIS_URL,
      FLOTILLA_REDIS_PREFIX: `flotilla-${slug}-${crypto.randomUUID()}`,
      FLOTILLA_TRUST_PROXY: '1',
      LOG_LEVEL: 'info',
      ...options.env,
    };
    servers = await Promise.all([startServerProcess(env, launch), startServerProcess(env, launch)]);
    sql = new pg.Client({ connectionString: db.env.DATABASE_URL });
    await sql.connect();
    const started = await startNginx(
      dir,
      servers.map((s) => s.port),
      launch,
    );
    nginx = started.child;
    const proxy = started.url;
    const gql = (query: string, variables: Loose = {}) =>
      gqlData(proxy, query, variables, { token: apiToken });
    const groupId = (await gql(`query { group(slug: "${slug}") { id } }`)).group.id as string;
    const client = sql;
    const holders = async (names: string[], ttlMs: number, since?: Date) => {
      const { rows } = await client.query<{ name: string; holder: string }>(
        'SELECT name, holder FROM job_leases WHERE name = ANY($1) AND expires_at > now() AND expires_at > $2',
        [names, new Date((since?.getTime() ?? 0) + ttlMs + 500)],
      );
      return Object.fromEntries(rows.map((r) => [r.name, r.holder]));
    };
    return {
      db,
      sql,
      env,
      servers,
      proxy,
      apiToken,
      enrolTokens,
      groupId,
      gql,
      dashboard: (on = {}) =>
        createClient({
          url: `${proxy.replace(/^http/, 'ws')}/graphql`,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${apiToken}` },
          retryAttempts: Number.POSITIVE_INFINITY,
          retryWait: () => new Promise((resolve) => setTimeout(resolve, 200)),
          shouldRetry: () => true,
          on,
        }),
      holders,
      async leasesTo(index, names, ttlMs, during) {
        const frozenAt = new Date();
        const others = servers.filter((_, i) => i !== index);
        for (const s of others) process.kill(s.pid, 'SIGSTOP');
        try {
          await during?.();
          await waitFor(
            async () => Object.keys(await holders(names, ttlMs, frozenAt)).length === names.length,
            30_000,
            100,
          );
          return await holders(names, ttlMs, frozenAt);
        } finally {
          for (const s of others) process.kill(s.pid, 'SIGCONT');
        }
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
