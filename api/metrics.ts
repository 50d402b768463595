/**
 * The server's Prometheus metrics: THE home of its prom-client registry and of every instrument
 * (created here only, one set per app so several servers in one process never share counters),
 * and `GET /metrics` in the Prometheus text format behind a bearer token (FLOTILLA_METRICS_TOKEN),
 * on the main port or on its own listen address (FLOTILLA_METRICS_ADDRESS).
 *
 * Hot-path instruments (request durations, heartbeat flushes) are pushed as things happen; the
 * state of the server (held polls, sockets, buffers, pool, agents, alerts) is read from
 * MetricSources when Prometheus scrapes, so it costs nothing between scrapes. Event-loop lag and
 * process figures are prom-client's default metrics (`nodejs_eventloop_lag_seconds`, …).
 * Rollout counts belong beside the alert gauges once rollouts exist (a `flotilla_rollouts{state}`
 * gauge read from a MetricSources function).
 */
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { bearerToken } from './fleet/tokens.ts';
import { ErrorCode } from './protocol/v1.ts';
import { sendError } from './rest/http.ts';
import { RequestHistogram } from './request-histogram.ts';

export const METRICS_PATH = '/metrics';

/** What the scrape-time gauges read; every function is called once per scrape. */
export interface MetricSources {
  heldLongPolls(): number;
  websocket(): { connections: number; subscriptions: number; sharedSubscriptions: number };
  heartbeatBufferRows(): number;
  /** The PostgreSQL pool's connections, or null on PGlite (one in-process connection). */
  databasePool(): { total: number; idle: number; waiting: number } | null;
  /** Seconds the last event-bus probe took from publish to delivery (Redis round trip), or null. */
  eventBusLagSeconds(): number | null;
  /** Agents by status (online, offline, never_seen); a database read. */
  agentsByStatus(): Promise<Record<string, number>>;
  /** Open alerts by state (pending, firing); a database read. */
  alerts(): Promise<Record<string, number>>;
  /** Alert notifications waiting for an attempt or given up, by state; a database read. */
  alertDeliveries(): Promise<Record<string, number>>;
}

export interface ServerMetrics {
  registry: Registry;
  /** Buffered heartbeat rows the database refused; they were dropped so other agents' rows get stored. */
  heartbeatRowsRejected: Counter;
  heartbeatFlushSeconds: Histogram;
  alertRoundSeconds: Histogram;
  /** Record one finished request: `route` is a fixed name (never a raw path), `started` from hrtime. */
  observeRequest(route: string, method: string, status: number, started: bigint): void;
  /** Give the scrape-time gauges their sources (the app does, once its parts exist). */
  bind(sources: MetricSources): void;
}

const FAST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30];

/** Create the registry and the instruments of one app (process metrics included). Never fails. */
export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let sources: MetricSources | undefined;
  const requestSeconds = new RequestHistogram(
    'flotilla_http_request_duration_seconds',
    'Requests by route, method and status, with their duration (held long-polls included).',
    FAST_BUCKETS,
  );
  registry.registerMetric(requestSeconds.asRegistryMetric());
  const gauge = (
    name: string,
    help: string,
    collect: (g: Gauge) => void | Promise<void>,
    labelNames: string[] = [],
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        if (sources) await collect(this);
      },
    });
  gauge('flotilla_long_polls_held', 'Agent config polls held open now.', (g) =>
    g.set(sources!.heldLongPolls()),
  );
  gauge('flotilla_websocket_connections', 'Open GraphQL WebSocket connections.', (g) =>
    g.set(sources!.websocket().connections),
  );
  gauge('flotilla_graphql_subscriptions', 'Running GraphQL operations on WebSockets (subscriptions).', (g) =>
    g.set(sources!.websocket().subscriptions),
  );
  gauge(
    'flotilla_graphql_subscription_executions',
    'Subscription executions running, each shared by the operations with the same role, document and variables.',
    (g) => g.set(sources!.websocket().sharedSubscriptions),
  );
  gauge('flotilla_heartbeat_buffer_rows', 'Heartbeats buffered for the next batched write.', (g) =>
    g.set(sources!.heartbeatBufferRows()),
  );
  gauge(
    'flotilla_db_pool_connections',
    'PostgreSQL pool connections by state (total, idle, waiting clients); absent on PGlite.',
    (g) => {
      const pool = sources!.databasePool();
      if (!pool) return;
      for (const [state, n] of Object.entries(pool)) g.set({ state }, n);
    },
    ['state'],
  );
  gauge(
    'flotilla_event_bus_lag_seconds',
    'Latest event-bus probe: publish to delivery on this replica.',
    (g) => {
      const lag = sources!.eventBusLagSeconds();
      if (lag !== null) g.set(lag);
    },
  );
  gauge(
    'flotilla_agents',
    'Agents by status (online, offline, never_seen), revoked ones excluded.',
    async (g) => {
      for (const [status, n] of Object.entries(await sources!.agentsByStatus())) g.set({ status }, n);
    },
    ['status'],
  );
  gauge(
    'flotilla_alerts',
    'Open alerts by state (pending, firing).',
    async (g) => {
      for (const [state, n] of Object.entries(await sources!.alerts())) g.set({ state }, n);
    },
    ['state'],
  );
  gauge(
    'flotilla_alert_deliveries',
    'Alert notifications by state (pending: waiting for an attempt or a retry; failed: given up).',
    async (g) => {
      for (const [state, n] of Object.entries(await sources!.alertDeliveries())) g.set({ state }, n);
    },
    ['state'],
  );
  return {
    registry,
    heartbeatRowsRejected: new Counter({
      name: 'flotilla_heartbeat_rows_rejected_total',
      help: 'Buffered heartbeat rows the database refused and the flush dropped.',
      registers,
    }),
    heartbeatFlushSeconds: new Histogram({
      name: 'flotilla_heartbeat_flush_duration_seconds',
      help: 'Duration of each batched heartbeat write.',
      buckets: FAST_BUCKETS,
      registers,
    }),
    alertRoundSeconds: new Histogram({
      name: 'flotilla_alert_evaluation_duration_seconds',
      help: 'Duration of each alert round (evaluate every rule, send due notifications) on the lease holder.',
      buckets: FAST_BUCKETS,
      registers,
    }),
    observeRequest(route, method, status, started) {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      requestSeconds.observe(requestSeconds.seriesOf(route, method, status), seconds);
    },
    bind(given) {
      sources = given;
    },
  };
}

function digest(value: string): Buffer {
  return crypto.createHash('sha256').update(value).digest();
}

/**
 * Answer `GET /metrics`. With `token` set: 401 without the right `Authorization: Bearer <token>`.
 * Without a token: 404 (error shape) on the main port, or open when `open` says this is the
 * separate metrics address. Else the registry in the Prometheus text format. Rejects only when a
 * collector fails (the caller answers 500).
 */
export async function serveMetrics(
  metrics: ServerMetrics,
  token: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  open = false,
): Promise<void> {
  if (token === undefined && !open)
    return sendError(res, 404, ErrorCode.notFound, 'metrics are not enabled on this server');
  const given = bearerToken(req.headers.authorization) ?? '';
  if (token !== undefined && !crypto.timingSafeEqual(digest(given), digest(token))) {
    return sendError(
      res,
      401,
      ErrorCode.unauthenticated,
      'send Authorization: Bearer <FLOTILLA_METRICS_TOKEN>',
      {
        'www-authenticate': 'Bearer',
      },
    );
  }
  const body = await metrics.registry.metrics();
  res.writeHead(200, {
    'content-type': metrics.registry.contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
