/**
 * The state of the dashboard's WebSocket (behind the lost-connection banner) and the "reconnected"
 * signal that makes live lists catch up, driven by graphql-ws's event listeners; urql.ts wires it
 * into the client.
 */
import { readonly, ref, type Ref } from 'vue';
import type { ClientOptions } from 'graphql-ws';

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

/** Close codes with which the server refuses a WebSocket whose session is gone. */
const REFUSED_CODES = new Set([4401, 4403]);

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
