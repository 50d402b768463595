/**
 * The state of the dashboard's WebSocket (behind the lost-connection banner) and the "reconnected"
 * signal that makes live lists catch up, driven by graphql-ws's event listeners; urql.ts wires it
 * into the client.
 */
import { readonly, ref, type Ref } from 'vue';
import type { ClientOptions } from 'graphql-ws';

/** Close codes with which the server refuses a WebSocket whose session is gone. */
const REFUSED_CODES = new Set([4401, 4403]);

/**
 * Close codes after which retrying cannot help, beside the ones graphql-ws already treats as fatal
 * (4400, 4401, 4429, 4500, …): a refused session stays refused until the page signs in again.
 */
const NO_RETRY_CODES = new Set([4403]);

const closeCode = (event: unknown): number | undefined => (event as { code?: number } | null)?.code;

/** Why the client stopped reconnecting, for the banner. */
export interface StopReason {
  code: number | null;
  reason: string;
}

/** The live connection's state, shown by the banner. */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'lost' | 'stopped';

export interface Connection {
  /**
   * idle (signed out), connecting (first attempt), connected, lost (closed, retrying), stopped
   * (closed with a code retrying cannot fix: only a reload reconnects).
   */
  state: Readonly<Ref<ConnectionState>>;
  /** Why the client stopped: the close code and reason; null unless `stopped`. */
  stopped: Readonly<Ref<StopReason | null>>;
  /**
   * Increments each time the socket comes up while subscriptions were waiting for it (after a loss,
   * or a first connect slower than the first fetch): live lists refetch then.
   */
  reconnects: Readonly<Ref<number>>;
}

export interface ConnectionMonitor {
  connection: Connection;
  /** graphql-ws event listeners that keep `connection` current. */
  listeners: NonNullable<ClientOptions['on']>;
  /** graphql-ws `shouldRetry`: false for close codes after which retrying cannot help. */
  shouldRetry: NonNullable<ClientOptions['shouldRetry']>;
  /** graphql-ws `onNonLazyError`: the client gave up (a fatal close code, or retries exhausted). */
  gaveUp: NonNullable<ClientOptions['onNonLazyError']>;
  /** A subscription starts: if the socket is not up yet, its first connect must count as a catch-up. */
  subscribing(): void;
  /** Back to idle (the socket was closed on purpose). */
  reset(): void;
}

/**
 * Track a graphql-ws client's life. `onRefused` runs when the server refuses the session (close
 * code 4401/4403), so the app can send the user to sign in; after a close code retrying cannot fix
 * the state is `stopped` (with the code and reason) until a connection succeeds. Never throws.
 */
export function createConnectionMonitor(onRefused: () => void): ConnectionMonitor {
  const state = ref<ConnectionState>('idle');
  const reconnects = ref(0);
  const stopped = ref<StopReason | null>(null);
  let everConnected = false;
  let waiting = false;
  return {
    connection: { state: readonly(state), reconnects: readonly(reconnects), stopped: readonly(stopped) },
    listeners: {
      connecting: () => {
        if (state.value !== 'lost' && state.value !== 'stopped') state.value = 'connecting';
      },
      connected: () => {
        if (everConnected || waiting) reconnects.value += 1;
        everConnected = true;
        waiting = false;
        stopped.value = null;
        state.value = 'connected';
      },
      closed: (event) => {
        const code = closeCode(event);
        if (code !== undefined && REFUSED_CODES.has(code)) onRefused();
        if (state.value !== 'idle' && state.value !== 'stopped') state.value = 'lost';
      },
    },
    shouldRetry: (event) => {
      const code = closeCode(event);
      return code === undefined || !NO_RETRY_CODES.has(code);
    },
    gaveUp: (event) => {
      if (state.value === 'idle') return;
      const code = closeCode(event);
      const reason = (event as { reason?: string; message?: string } | null) ?? {};
      stopped.value = { code: code ?? null, reason: reason.reason || reason.message || '' };
      state.value = 'stopped';
    },
    subscribing() {
      if (state.value !== 'connected') waiting = true;
    },
    reset() {
      everConnected = false;
      waiting = false;
      stopped.value = null;
      state.value = 'idle';
    },
  };
}
