/**
 * The dashboard's GraphQL client. Queries and mutations go over HTTP with the session cookie and
 * the CSRF header the server requires for cookie requests; subscriptions go over graphql-ws on the
 * same /graphql path. The WebSocket is opened while someone is signed in and retried forever; the
 * connection state drives the lost-connection banner and `reconnects` tells live lists to catch up.
 */
import { cacheExchange, Client, fetchExchange, mapExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient, type ClientOptions } from 'graphql-ws';
import { inject, readonly, ref, type InjectionKey, type Ref } from 'vue';

/** Header the server demands on cookie-authenticated HTTP requests (api/graphql/auth.ts). */
export const CSRF_HEADER = 'x-flotilla-csrf';

/** Close codes with which the server refuses a WebSocket whose session is gone. */
const REFUSED_CODES = new Set([4401, 4403]);

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'lost';

export interface Connection {
  /** idle (signed out), connecting (first attempt), connected, lost (closed, retrying). */
  state: Readonly<Ref<ConnectionState>>;
  /**
   * Increments each time the socket comes up while subscriptions were waiting for it (after a loss,
   * or a first connect slower than the first fetch): live lists refetch then.
   */
  reconnects: Readonly<Ref<number>>;
}

export const CONNECTION_KEY: InjectionKey<Connection> = Symbol('connection');

/** The app's live connection; call inside a component's setup. Throws outside the app. */
export function useConnection(): Connection {
  const connection = inject(CONNECTION_KEY);
  if (!connection) throw new Error('useConnection() called outside the Flotilla app');
  return connection;
}

export interface ConnectionMonitor {
  connection: Connection;
  /** graphql-ws event listeners that keep `connection` current. */
  listeners: NonNullable<ClientOptions['on']>;
  /** A subscription starts: if the socket is not up yet, its first connect must count as a catch-up. */
  subscribing(): void;
  /** Back to idle (the socket was closed on purpose). */
  reset(): void;
}

/**
 * Track a graphql-ws client's life. `onRefused` runs when the server refuses the session (close
 * code 4401/4403), so the app can send the user to sign in. Never throws.
 */
export function createConnectionMonitor(onRefused: () => void): ConnectionMonitor {
  const state = ref<ConnectionState>('idle');
  const reconnects = ref(0);
  let everConnected = false;
  let waiting = false;
  return {
    connection: { state: readonly(state), reconnects: readonly(reconnects) },
    listeners: {
      connecting: () => {
        if (state.value !== 'lost') state.value = 'connecting';
      },
      connected: () => {
        if (everConnected || waiting) reconnects.value += 1;
        everConnected = true;
        waiting = false;
        state.value = 'connected';
      },
      closed: (event) => {
        const code = (event as { code?: number } | null)?.code;
        if (code !== undefined && REFUSED_CODES.has(code)) onRefused();
        if (state.value !== 'idle') state.value = 'lost';
      },
    },
    subscribing() {
      if (state.value !== 'connected') waiting = true;
    },
    reset() {
      everConnected = false;
      waiting = false;
      state.value = 'idle';
    },
  };
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
      shouldRetry: () => true,
      retryWait: (retries) =>
        new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, 5000))),
      onNonLazyError: () => undefined,
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
