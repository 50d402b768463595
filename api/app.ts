/**
 * buildApp(deps): the one node:http server. `/api/v1/agents/*` → the agent protocol (plain
 * handlers), `/healthz` and `/readyz`, `/install.sh`, `/deploy/*` (deploy-files.ts), `/graphql`
 * (HTTP and graphql-ws upgrades, see graphql/mount.ts), and the built dashboard at `/` (web-static.ts). Owns the hot-path state
 * (agent directory, heartbeat buffer) and the sweep.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ServerConfig } from './config.ts';
import type { Db } from './db.ts';
import type { EventBus } from './fleet/events.ts';
import { createFleetContext, type Clock, type FleetContext } from './fleet/context.ts';
import { AgentDirectory } from './fleet/agent-directory.ts';
import { HeartbeatBuffer } from './fleet/heartbeats.ts';
import { pendingMigrations } from './migrations.ts';
import { ErrorCode, MAX_HEADER_BYTES } from './protocol/v1.ts';
import { agentRouteName, createAgentRouter, isAgentRoute } from './rest/router.ts';
import { createRateLimiter } from './rest/rate-limit.ts';
import { createLimiterStore } from './http/limiter-store.ts';
import { createLoginLimiter } from './graphql/login-limiter.ts';
import { LongPolls } from './rest/long-poll.ts';
import { resumeHeldPoll } from './rest/config.ts';
import type { RestDeps } from './rest/deps.ts';
import { sendError, sendJson } from './rest/http.ts';
import { serveInstallScript } from './install-script.ts';
import { DAEMONSET_PATH, SYSTEMD_UNIT_PATH, serveDaemonSet, serveSystemdUnit } from './deploy-files.ts';
import { METRICS_PATH, createMetrics, serveMetrics, type ServerMetrics } from './metrics.ts';
import { createMetricSources } from './metrics-sources.ts';
import { createSweeper, type Job } from './jobs/sweeper.ts';
import { createBackupJob } from './jobs/backups.ts';
import { createRetentionJob } from './jobs/retention.ts';
import { createAlertsJob } from './jobs/alerts.ts';
import { createRolloutsJob } from './jobs/rollouts.ts';
import type { LeasedJob } from './jobs/lease.ts';
import { createTelemetryRetention } from './jobs/telemetry-retention.ts';
import { TelemetryBuffer } from './fleet/telemetry/ingest.ts';
import { GRAPHQL_PATH, mountGraphql } from './graphql/mount.ts';
import type { WsStats } from './graphql/ws.ts';
import { GRAPHIQL_ASSETS_PATH } from './graphql/graphiql.ts';
import { createWebStatic } from './web-static.ts';
import { EXECUTABLE_PATH_PREFIX, serveAgentExecutable } from './agent-executable.ts';

export interface AppDeps {
  config: ServerConfig;
  db: Db;
  events: EventBus;
  log: Logger;
  clock?: Clock;
  /** Version of the agent built from this repository, offered by /install.sh. */
  agentVersion?: string;
  /** The agent's single executable offered to install.sh (agent-executable.ts); none when unset. */
  agentExecutable?: string;
}

export interface App {
  ctx: FleetContext;
  server: http.Server;
  directory: AgentDirectory;
  heartbeats: HeartbeatBuffer;
  telemetry: TelemetryBuffer;
  longPolls: LongPolls;
  sweeper: Job;
  /** Scheduled backups, when FLOTILLA_BACKUP_DIR is set. */
  backups: Job | undefined;
  /** Pruning of what the retention settings no longer keep, by the replica holding its lease. */
  retention: LeasedJob;
  /** Alert evaluation and notification, run by the replica holding the `alerts` lease. */
  alerts: LeasedJob;
  /** Advances rollouts, run by the replica holding the `rollouts` lease. */
  rollouts: LeasedJob;
  telemetryRetention: Job;
  metrics: ServerMetrics;
  /** GraphQL over WebSocket: connections, operations and shared subscription executions. */
  websocketStats(): WsStats;
  /** Where the separate /metrics listener is bound (FLOTILLA_METRICS_ADDRESS), once listening; else null. */
  metricsAddress(): AddressInfo | null;
  /** Load state, start jobs and listen; resolves the bound address (port 0 picks a free port). */
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stop accepting, flush heartbeats, stop jobs; the caller closes db and bus afterwards. */
  stop(): Promise<void>;
}

/** The caller's X-Request-Id when it looks sane, else a fresh one. */
function requestIdOf(req: http.IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
}

/**
 * Client limits: the size of the request line and headers (protocol v1), and the time to send the
 * headers and the whole request (a held long-poll is not affected: these clocks stop once the
 * request is received), checked often enough to hold them.
 */
function serverLimits(config: ServerConfig): http.ServerOptions {
  return {
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(config.headersTimeoutMs / 4))),
  };
}

/** The /metrics label of a request path: a fixed name per route, never the raw path. */
function routeLabel(pathname: string): string {
  if (isAgentRoute(pathname)) return agentRouteName(pathname);
  if (pathname === GRAPHQL_PATH || pathname.startsWith(GRAPHIQL_ASSETS_PATH)) return 'graphql';
  if (pathname === '/healthz' || pathname === '/readyz' || pathname === METRICS_PATH)
    return pathname.slice(1);
  if (pathname === '/install.sh') return 'install_script';
  if (pathname === DAEMONSET_PATH || pathname === SYSTEMD_UNIT_PATH) return 'deploy_files';
  return 'dashboard';
}

/** How often each replica times a message through its event bus (flotilla_event_bus_lag_seconds). */
const BUS_PROBE_MS = 15_000;

/** Build the server around already opened dependencies. Nothing listens until listen(). */
export function buildApp(deps: AppDeps): App {
  const { config, db, log } = deps;
  const ctx = createFleetContext(deps);
  const directory = new AgentDirectory(ctx);
  const metrics = createMetrics();
  const telemetry = new TelemetryBuffer(ctx, config.telemetry, (err) =>
    log.error({ err }, 'telemetry flush failed'),
  );
  const heartbeats = new HeartbeatBuffer(
    ctx,
    config.heartbeatFlushMs,
    (err) => log.error({ err }, 'heartbeat flush failed'),
    ({ agentId, error, firstSinceStored }) => {
      metrics.heartbeatRowsRejected.inc();
      if (firstSinceStored)
        log.warn({ agentId, err: error }, 'heartbeat row refused by the database; dropped');
    },
    (agent, samples, now) => telemetry.add(agent, samples, now),
    (seconds) => metrics.heartbeatFlushSeconds.observe(seconds),
  );
  const telemetryRetention = createTelemetryRetention(
    ctx,
    config.telemetry,
    config.telemetryPruneIntervalMs,
    log,
  );
  const sweeper = createSweeper(ctx, directory, config.sweepIntervalMs, log);
  const backups = config.backups && createBackupJob(db, config.backups, ctx.clock, log);
  const retention = createRetentionJob(ctx, config.retentionIntervalMs, log);
  const alerts = createAlertsJob(ctx, config.alertIntervalMs, log, (s) =>
    metrics.alertRoundSeconds.observe(s),
  );
  const rollouts = createRolloutsJob(ctx, config.rolloutIntervalMs, log);
  // Enrolment and sign-in limits: counted in Redis (shared by every replica) when REDIS_URL is set.
  const limiterStore = createLimiterStore(config, (err) => log.warn({ err }, 'rate-limit store error'));
  const graphql = mountGraphql({
    fleet: ctx,
    directory,
    log,
    trustProxy: config.trustProxy,
    loginLimiter: createLoginLimiter({ store: limiterStore }),
    wsLimits: config.ws,
  });
  const longPolls = new LongPolls(directory, (held, reason) => resumeHeldPoll(restDeps, held, reason));
  const restDeps: RestDeps = {
    ctx,
    directory,
    heartbeats,
    longPolls,
    enrolLimiter: createRateLimiter(config.enrolRateLimitPerMinute, limiterStore),
    trustProxy: config.trustProxy,
    log,
  };
  const agentRouter = createAgentRouter(restDeps);
  const metricSources = createMetricSources({ ctx, db, longPolls, heartbeats, graphql }, BUS_PROBE_MS);
  metrics.bind(metricSources);
  let metricsServer: http.Server | undefined;
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

  const dashboard = createWebStatic();
  const accessLog = log.isLevelEnabled('debug');
  const server = http.createServer(serverLimits(config), (req, res) => {
    const raw = req.url ?? '/';
    const queryAt = raw.indexOf('?');
    const path = queryAt === -1 ? raw : raw.slice(0, queryAt);
    // The agent hot path skips URL parsing and request ids (failure.ts makes one when it logs).
    if (!accessLog && raw.startsWith('/') && isAgentRoute(path)) {
      const started = process.hrtime.bigint();
      if (req.headers['x-request-id'] !== undefined) res.setHeader('x-request-id', requestIdOf(req));
      const route = agentRouter(req, res, path, queryAt === -1 ? '' : raw.slice(queryAt + 1));
      // An answer given synchronously (the 204 poll) is timed to its end() without a listener.
      if (res.writableEnded) metrics.observeRequest(route, req.method ?? '', res.statusCode, started);
      else res.once('finish', () => metrics.observeRequest(route, req.method ?? '', res.statusCode, started));
      return;
    }
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      metrics.observeRequest(routeLabel(path), req.method ?? '', res.statusCode, started);
      if (accessLog) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        log.debug(
          { requestId, method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms },
          'request',
        );
      }
    });
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (isAgentRoute(url.pathname)) return void agentRouter(req, res, url.pathname, url.search.slice(1));
    if (url.pathname === GRAPHQL_PATH || url.pathname.startsWith(GRAPHIQL_ASSETS_PATH))
      return graphql.handle(req, res);
    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (url.pathname === '/readyz') return void readiness(res);
    if (url.pathname === '/install.sh' && req.method === 'GET') {
      const options = {
        publicUrl: config.publicUrl,
        trustProxy: config.trustProxy,
        agentVersion: deps.agentVersion,
      };
      return void serveInstallScript(options, req, res).catch((err) => {
        log.error({ err }, 'install.sh failed');
        sendError(res, 500, ErrorCode.internal, 'internal error');
      });
    }
    if ((url.pathname === DAEMONSET_PATH || url.pathname === SYSTEMD_UNIT_PATH) && req.method === 'GET') {
      const options = {
        publicUrl: config.publicUrl,
        trustProxy: config.trustProxy,
        agentVersion: deps.agentVersion,
      };
      const serving =
        url.pathname === DAEMONSET_PATH
          ? serveDaemonSet(ctx, options, req, res, url.searchParams.get('group'))
          : serveSystemdUnit(res);
      return void serving.catch((err) => {
        log.error({ err }, `${url.pathname} failed`);
        sendError(res, 500, ErrorCode.internal, 'internal error');
      });
    }
    if (url.pathname.startsWith(EXECUTABLE_PATH_PREFIX) && req.method === 'GET') {
      const options = { executable: deps.agentExecutable, agentVersion: deps.agentVersion };
      const platform = url.pathname.slice(EXECUTABLE_PATH_PREFIX.length);
      return void serveAgentExecutable(options, res, platform).catch((err) => {
        log.error({ err }, 'agent executable failed');
        if (!res.headersSent) sendError(res, 500, ErrorCode.internal, 'internal error');
        else res.destroy();
      });
    }
    if (url.pathname === METRICS_PATH && req.method === 'GET') {
      if (config.metricsAddress)
        return sendError(res, 404, ErrorCode.notFound, 'metrics are served on FLOTILLA_METRICS_ADDRESS');
      return void serveMetrics(metrics, config.metricsToken, req, res).catch((err) => {
        log.error({ err }, 'metrics failed');
        sendError(res, 500, ErrorCode.internal, 'internal error');
      });
    }
    if (dashboard.handles(req, url.pathname)) return void dashboard.serve(req, res, url.pathname);
    sendError(res, 404, ErrorCode.notFound, `no route ${req.method} ${url.pathname}`);
  });
  server.on('upgrade', (req, socket, head) => graphql.handleUpgrade(req, socket, head));
  server.keepAliveTimeout = 65_000;
  server.maxConnections = config.maxConnections;

  return {
    ctx,
    server,
    directory,
    heartbeats,
    telemetry,
    longPolls,
    sweeper,
    backups,
    retention,
    alerts,
    rollouts,
    telemetryRetention,
    metrics,
    websocketStats: () => graphql.stats(),
    metricsAddress: () => (metricsServer?.address() as AddressInfo | null | undefined) ?? null,
    async listen(port, host) {
      await ctx.tuning.start((err) => log.error({ err }, 'reading the fleet settings failed'));
      await directory.start();
      heartbeats.start();
      await telemetry.start();
      sweeper.start();
      backups?.start();
      retention.start();
      alerts.start();
      rollouts.start();
      metricSources.start();
      if (config.metricsAddress) {
        metricsServer = createMetricsServer(metrics, config.metricsToken, log);
        await listenOn(metricsServer, config.metricsAddress.port, config.metricsAddress.host);
      }
      telemetryRetention.start();
      await listenOn(server, port, host, config.listenBacklog);
      return server.address() as AddressInfo;
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      longPolls.closeAll();
      await graphql.close();
      server.closeIdleConnections();
      directory.stop();
      ctx.tuning.stop();
      metricSources.stop();
      await sweeper.stop();
      await backups?.stop();
      await retention.stop();
      await alerts.stop();
      await rollouts.stop();
      if (metricsServer) await new Promise((resolve) => metricsServer!.close(resolve));
      await telemetryRetention.stop();
      await heartbeats.stop().catch(() => undefined);
      await telemetry.stop();
      const force = setTimeout(() => server.closeAllConnections(), 3000);
      await closed;
      clearTimeout(force);
      await limiterStore.close();
    },
  };
}

function listenOn(server: http.Server, port: number, host: string, backlog?: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog }, () => resolve());
  });
}

/** The listener of FLOTILLA_METRICS_ADDRESS: `GET /metrics` and nothing else. */
function createMetricsServer(metrics: ServerMetrics, token: string | undefined, log: Logger): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== METRICS_PATH || req.method !== 'GET')
      return sendError(res, 404, ErrorCode.notFound, 'only GET /metrics is served here');
    serveMetrics(metrics, token, req, res, true).catch((err) => {
      log.error({ err }, 'metrics failed');
      sendError(res, 500, ErrorCode.internal, 'internal error');
    });
  });
}
