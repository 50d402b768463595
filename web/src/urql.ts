/**
 * The dashboard's GraphQL client. Queries and mutations go over HTTP with the session cookie and
 * the CSRF header the server requires for cookie requests; subscriptions go over graphql-ws on the
 * same /graphql path. The WebSocket is opened while someone is signed in and retried until a close
 * code says retrying cannot help (then the banner offers a reload); the
 * connection state drives the lost-connection banner and `reconnects` tells live lists to catch up.
 */
import { cacheExchange, Client, fetchExchange, mapExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { inject, type InjectionKey } from 'vue';
import { createConnectionMonitor, type Connection, type ConnectionState } from './connection-monitor.ts';

/** Header the server demands on cookie-authenticated HTTP requests (api/graphql/auth.ts). */
const CSRF_HEADER = 'x-flotilla-csrf';

export type { Connection, ConnectionState };

export const CONNECTION_KEY: InjectionKey<Connection> = Symbol('connection');

/** The app's live connection; call inside a component's setup. Throws outside the app. */
export function useConnection(): Connection {
  const connection = inject(CONNECTION_KEY);
  if (!connection) throw new Error('useConnection() called outside the Flotilla app');
  return connection;
}

export interface FlotillaClient {
  client: Client;
  connection: Connection;
  /** Open the WebSocket now (after sign-in). Idempotent. */
  goLive(): void;
  /** Close the WebSocket (on sign-out); subscriptions end. Idempotent. */
  goIdle(): void;
}

export interface FlotillaClientOptions {
  /** Base URL of the server; defaults to the page's origin. */
  origin?: string;
  /** Called when the server says the caller is not signed in (HTTP or WebSocket). */
  onUnauthenticated: () => void;
}

/** Build the client. Nothing connects until a request is made or goLive() is called. */
export function createFlotillaClient(options: FlotillaClientOptions): FlotillaClient {
  const origin = options.origin ?? window.location.origin;
  const monitor = createConnectionMonitor(options.onUnauthenticated);
  let ws: WsClient | null = null;

  const socket = (): WsClient => {
    ws ??= createWsClient({
      url: `${origin.replace(/^http/, 'ws')}/graphql`,
      lazy: false,
      keepAlive: 15_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: monitor.shouldRetry,
      retryWait: (retries) =>
        new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, 5000))),
      onNonLazyError: monitor.gaveUp,
      on: monitor.listeners,
    });
    return ws;
  };

  const client = new Client({
    url: `${origin}/graphql`,
    preferGetMethod: false,
    fetchOptions: () => ({ credentials: 'same-origin', headers: { [CSRF_HEADER]: '1' } }),
    exchanges: [
      mapExchange({
        onResult(result) {
          const codes = result.error?.graphQLErrors.map((e) => e.extensions?.code) ?? [];
          if (codes.includes('UNAUTHENTICATED')) options.onUnauthenticated();
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => {
            monitor.subscribing();
            return { unsubscribe: socket().subscribe({ ...request, query: request.query ?? '' }, sink) };
          },
        }),
      }),
    ],
  });

  return {
    client,
    connection: monitor.connection,
    goLive: () => void socket(),
    goIdle() {
      const closing = ws;
      ws = null;
      monitor.reset();
      void closing?.dispose();
    },
  };
}
