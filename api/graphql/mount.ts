/**
 * Mounts GraphQL on the app's node:http server: `handle` serves HTTP requests to /graphql and
 * `handleUpgrade` takes WebSocket upgrades for it. Holds the state that lives as long as the
 * server (the login limiter); built once per app.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { WsLimits } from '../config.ts';
import type { TrustedProxies } from '../http/request-info.ts';
import type { FleetContext } from '../fleet/context.ts';
import type { AgentDirectory } from '../fleet/agent-directory.ts';
import type { GraphqlServices, LiveSettings } from './context.ts';
import { createLoginLimiter, type LoginLimiter } from './login-limiter.ts';
import { createGraphqlYoga } from './yoga.ts';
import { createGraphqlHttpHandler } from './http.ts';
import { createGraphqlWs, type WsStats } from './ws.ts';
import { GRAPHIQL_ASSETS_PATH, serveGraphiqlAsset } from './graphiql.ts';

export const GRAPHQL_PATH = '/graphql';

export interface GraphqlMountDeps {
  fleet: FleetContext;
  directory: AgentDirectory;
  log: Logger;
  /** Caps on WebSocket connections and their operations (FLOTILLA_WS_*). */
  wsLimits: WsLimits;
  trustProxy: TrustedProxies;
  /** Coalescing of subscription messages; defaults suit a fleet of 10,000 agents. */
  live?: Partial<LiveSettings>;
  loginLimiter?: LoginLimiter;
}

export interface GraphqlMount {
  /** Serve an HTTP request for /graphql or GraphiQL's files below it. Never rejects. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Take a WebSocket upgrade: /graphql speaks graphql-ws; other paths are refused. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Close every WebSocket connection; HTTP requests end with the server. */
  close(): Promise<void>;
  /** Open WebSocket connections, their operations and the shared executions (for /metrics). */
  stats(): WsStats;
}

export const DEFAULT_LIVE: LiveSettings = { intervalMs: 250, summaryIntervalMs: 1000, maxBatch: 1000 };

/** Build the GraphQL endpoint (Yoga, the HTTP handler, graphql-ws). Never fails. */
export function mountGraphql(deps: GraphqlMountDeps): GraphqlMount {
  const services: GraphqlServices = {
    fleet: deps.fleet,
    directory: deps.directory,
    log: deps.log,
    trustProxy: deps.trustProxy,
    loginLimiter: deps.loginLimiter ?? createLoginLimiter(),
    live: { ...DEFAULT_LIVE, ...deps.live },
  };
  const yoga = createGraphqlYoga(deps.log, GRAPHQL_PATH);
  const http = createGraphqlHttpHandler(yoga, services);
  const ws = createGraphqlWs(yoga, services, deps.wsLimits);
  return {
    handle(req, res) {
      const pathname = (req.url ?? '/').split('?')[0];
      if (pathname.startsWith(GRAPHIQL_ASSETS_PATH)) return void serveGraphiqlAsset(req, res, pathname);
      void http(req, res);
    },
    handleUpgrade(req, socket, head) {
      if (new URL(req.url ?? '/', 'http://localhost').pathname !== GRAPHQL_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      ws.handleUpgrade(req, socket, head);
    },
    close: () => ws.close(),
    stats: () => ws.stats(),
  };
}
