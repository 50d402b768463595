/**
 * Mounts GraphQL on the app's node:http server: `handle` serves HTTP requests to /graphql and
 * `handleUpgrade` takes WebSocket upgrades for it. The schema and Yoga are loaded by start() (or
 * the first request), not at import, so the admin CLI, which imports the app, starts quickly.
 * Holds the state that lives as long as the server (the login limiter); built once per app.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { FleetContext } from '../fleet/context.ts';
import type { GraphqlServices, LiveSettings } from './context.ts';
import { createLoginLimiter, type LoginLimiter } from './login-limiter.ts';

export const GRAPHQL_PATH = '/graphql';

export interface GraphqlMountDeps {
  fleet: FleetContext;
  log: Logger;
  trustProxy: boolean;
  /** Coalescing of subscription messages; defaults suit a fleet of 10,000 agents. */
  live?: Partial<LiveSettings>;
  loginLimiter?: LoginLimiter;
}

export interface GraphqlMount {
  /** Load the schema and Yoga; resolves when /graphql can answer. Rejects when the schema is broken. */
  start(): Promise<void>;
  /** Serve an HTTP request for /graphql. Never rejects. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Take a WebSocket upgrade: /graphql speaks graphql-ws; other paths are refused. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Close every WebSocket connection; HTTP requests end with the server. */
  close(): Promise<void>;
}

export const DEFAULT_LIVE: LiveSettings = { intervalMs: 250, summaryIntervalMs: 1000, maxBatch: 1000 };

interface Loaded {
  http: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  ws: { handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void; close(): Promise<void> };
}

/** Build the GraphQL endpoint. Nothing is loaded or listens until start() or the first request. */
export function mountGraphql(deps: GraphqlMountDeps): GraphqlMount {
  const services: GraphqlServices = {
    fleet: deps.fleet,
    log: deps.log,
    trustProxy: deps.trustProxy,
    loginLimiter: deps.loginLimiter ?? createLoginLimiter(),
    live: { ...DEFAULT_LIVE, ...deps.live },
  };
  let loaded: Promise<Loaded> | undefined;
  const load = () =>
    (loaded ??= (async () => {
      const [{ createGraphqlYoga }, { createGraphqlHttpHandler }, { createGraphqlWs }] = await Promise.all([
        import('./yoga.ts'),
        import('./http.ts'),
        import('./ws.ts'),
      ]);
      const yoga = createGraphqlYoga(deps.log, GRAPHQL_PATH);
      return { http: createGraphqlHttpHandler(yoga, services), ws: createGraphqlWs(yoga, services) };
    })());
  const failed = (err: unknown) => deps.log.error({ err }, 'GraphQL could not be loaded');

  return {
    start: async () => {
      await load();
    },
    handle(req, res) {
      load().then(
        ({ http }) => http(req, res),
        (err) => {
          failed(err);
          res
            .writeHead(500, { 'content-type': 'application/json' })
            .end('{"errors":[{"message":"internal error"}]}');
        },
      );
    },
    handleUpgrade(req, socket, head) {
      if (new URL(req.url ?? '/', 'http://localhost').pathname !== GRAPHQL_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      load().then(
        ({ ws }) => ws.handleUpgrade(req, socket, head),
        (err) => {
          failed(err);
          socket.destroy();
        },
      );
    },
    async close() {
      if (loaded) await (await loaded).ws.close();
    },
  };
}
