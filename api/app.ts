/**
 * buildApp(deps): the one node:http server. `/api/v1/agents/*` → the agent protocol (plain
 * handlers), `/healthz` and `/readyz`, `/install.sh`, `/graphql` (HTTP and graphql-ws upgrades,
 * see graphql/mount.ts), and the built dashboard at `/` (web-static.ts). Owns the hot-path state
 * (agent directory, heartbeat buffer) and the sweep.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ServerConfig } from './config.ts';
import type { Db } from './db.ts';
import type { EventBus } from './fleet/events.ts';
import type { Clock, FleetContext } from './fleet/context.ts';
import { AgentDirectory } from './fleet/agent-directory.ts';
import { HeartbeatBuffer } from './fleet/heartbeats.ts';
import { pendingMigrations } from './migrations.ts';
import { createAgentRouter, isAgentRoute } from './rest/router.ts';
import { createRateLimiter } from './rest/rate-limit.ts';
import { LongPolls } from './rest/long-poll.ts';
import { publicBaseUrl, sendError, sendJson } from './rest/http.ts';
import { createSweeper, type Job } from './jobs/sweeper.ts';
import { GRAPHQL_PATH, mountGraphql } from './graphql/mount.ts';
import { createWebStatic } from './web-static.ts';

export interface AppDeps {
  config: ServerConfig;
  db: Db;
  events: EventBus;
  log: Logger;
  clock?: Clock;
  /** Version of the agent built from this repository, offered by /install.sh. */
  agentVersion?: string;
}

export interface App {
  ctx: FleetContext;
  server: http.Server;
  directory: AgentDirectory;
  heartbeats: HeartbeatBuffer;
  longPolls: LongPolls;
  sweeper: Job;
  /** Load state, start jobs and listen; resolves the bound address (port 0 picks a free port). */
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stop accepting, flush heartbeats, stop jobs; the caller closes db and bus afterwards. */
  stop(): Promise<void>;
}

const INSTALL_SCRIPT = path.resolve(import.meta.dirname, '../agent/deploy/install.sh');

/** The caller's X-Request-Id when it looks sane, else a fresh one. */
function requestIdOf(req: http.IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
}

/** The fleet context for a configuration; start-up chores use it before the app is built. */
export function createFleetContext(deps: Pick<AppDeps, 'config' | 'db' | 'events' | 'clock'>): FleetContext {
  return {
    db: deps.db.prisma,
    events: deps.events,
    clock: deps.clock ?? (() => new Date()),
    settings: {
      actionTtlMs: deps.config.actionTtlMs,
      publicUrl: deps.config.publicUrl,
      secretKeys: deps.config.secretKeys,
    },
  };
}

/** Build the server around already opened dependencies. Nothing listens until listen(). */
export function buildApp(deps: AppDeps): App {
  const { config, db, log } = deps;
  const ctx = createFleetContext(deps);
  const directory = new AgentDirectory(ctx);
  const heartbeats = new HeartbeatBuffer(ctx, config.heartbeatFlushMs, (err) =>
    log.error({ err }, 'heartbeat flush failed'),
  );
  const sweeper = createSweeper(ctx, directory, config.sweepIntervalMs, log);
  const graphql = mountGraphql({ fleet: ctx, log, trustProxy: config.trustProxy });
  const longPolls = new LongPolls(directory);
  const agentRouter = createAgentRouter({
    ctx,
    directory,
    heartbeats,
    longPolls,
    enrolLimiter: createRateLimiter(config.enrolRateLimitPerMinute),
    trustProxy: config.trustProxy,
    log,
  });
  let migrationsCurrent = false;

  const readiness = async (res: http.ServerResponse) => {
    try {
      await db.ping();
      migrationsCurrent ||= (await pendingMigrations(db)).length === 0;
      if (!migrationsCurrent)
        return sendError(res, 503, 'migrations_pending', 'database migrations are not applied');
      sendJson(res, 200, { status: 'ready' });
    } catch {
      sendError(res, 503, 'database_unreachable', 'the database does not answer');
    }
  };

  const installScript = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const script = await fs.readFile(INSTALL_SCRIPT, 'utf8').catch(() => null);
    if (script === null) return sendError(res, 404, 'not_found', 'install script not available');
    const baseUrl = publicBaseUrl({ ctx, trustProxy: config.trustProxy }, req);
    const body = script
      .replaceAll('__FLOTILLA_URL__', baseUrl)
      .replaceAll('__FLOTILLA_VERSION__', deps.agentVersion ?? '');
    res.writeHead(200, {
      'content-type': 'text/x-shellscript; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };

  const dashboard = createWebStatic();
  const accessLog = log.isLevelEnabled('debug');
  const server = http.createServer((req, res) => {
    const raw = req.url ?? '/';
    const queryAt = raw.indexOf('?');
    const path = queryAt === -1 ? raw : raw.slice(0, queryAt);
    // The agent hot path skips URL parsing and request ids (failure.ts makes one when it logs).
    if (!accessLog && raw.startsWith('/') && isAgentRoute(path)) {
      if (req.headers['x-request-id'] !== undefined) res.setHeader('x-request-id', requestIdOf(req));
      return void agentRouter(req, res, path, queryAt === -1 ? '' : raw.slice(queryAt + 1));
    }
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    if (accessLog) {
      const started = process.hrtime.bigint();
      res.once('finish', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        log.debug(
          { requestId, method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms },
          'request',
        );
      });
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (isAgentRoute(url.pathname)) return void agentRouter(req, res, url.pathname, url.search.slice(1));
    if (url.pathname === GRAPHQL_PATH) return graphql.handle(req, res);
    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (url.pathname === '/readyz') return void readiness(res);
    if (url.pathname === '/install.sh' && req.method === 'GET') {
      return void installScript(req, res).catch((err) => {
        log.error({ err }, 'install.sh failed');
        sendError(res, 500, 'internal_error', 'internal error');
      });
    }
    if (dashboard.handles(req, url.pathname)) return void dashboard.serve(req, res, url.pathname);
    sendError(res, 404, 'not_found', `no route ${req.method} ${url.pathname}`);
  });
  server.on('upgrade', (req, socket, head) => graphql.handleUpgrade(req, socket, head));
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  return {
    ctx,
    server,
    directory,
    heartbeats,
    longPolls,
    sweeper,
    async listen(port, host) {
      await directory.start();
      await graphql.start();
      heartbeats.start();
      sweeper.start();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      return server.address() as AddressInfo;
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      longPolls.closeAll();
      await graphql.close();
      server.closeIdleConnections();
      directory.stop();
      await sweeper.stop();
      await heartbeats.stop().catch(() => undefined);
      const force = setTimeout(() => server.closeAllConnections(), 3000);
      await closed;
      clearTimeout(force);
    },
  };
}
