/**
 * The open graphql-ws connections of one server process: their caps (in all, per user, operations
 * per connection) and the credential each was admitted with. A connection lives only as long as its
 * credential: fleet publishes `credentialsRevoked` on the event bus after the commit (so every
 * replica hears it), and an index from session, API token and user to connections closes exactly
 * the affected ones with 4403 — sign-out, API-token revocation, password reset (ended sessions), a
 * user disabled or given a lower role (their connections re-check their credential). A timer per
 * connection closes it when its session or token expires.
 */
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { WsLimits } from '../config.ts';
import type { FleetContext } from '../fleet/context.ts';
import type { FleetEvents } from '../fleet/events.ts';
import { roleAtLeast } from '../fleet/users.ts';
import type { RequestAuth } from './auth.ts';

/** WebSocket close codes of /graphql besides graphql-ws's own (documented in the README). */
export const WsCloseCode = {
  /** Anonymous, refused, ended, expired or downgraded credentials. */
  forbidden: 4403,
  /** The user (or the server) is at its connection cap. */
  tooManyConnections: 4429,
  /** The credential could not be re-checked (database failure); reconnecting checks it again. */
  internalError: 4500,
  /**
   * Try Again Later: the client fell too far behind its subscriptions' messages
   * (shared-subscriptions.ts). graphql-ws clients, the dashboard's too, reconnect after it.
   */
  tooSlow: 1013,
} as const;

/** The GraphQL error code of an operation refused because its connection runs too many. */
export const TOO_MANY_SUBSCRIPTIONS = 'TOO_MANY_SUBSCRIPTIONS';

/** Longest delay a Node timer takes; later expiries are reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How often admission re-authenticates when revocations keep arriving during its check. */
const ADMIT_ATTEMPTS = 3;

/** The outcome of admit(). */
export type Admission = 'admitted' | 'refused' | 'too_many';

interface Entry {
  socket: WebSocket;
  userId: string;
  auth: RequestAuth;
  authenticate: () => Promise<RequestAuth>;
  timer?: NodeJS.Timeout;
  /** Re-checks run one after another, so the last one sees the latest state. */
  rechecks?: Promise<void>;
}

/** A multimap key → entries. */
class Index {
  private readonly map = new Map<string, Set<Entry>>();
  add(key: string | null, entry: Entry): void {
    if (key === null) return;
    const set = this.map.get(key) ?? new Set<Entry>();
    set.add(entry);
    this.map.set(key, set);
  }
  remove(key: string | null, entry: Entry): void {
    const set = key === null ? undefined : this.map.get(key);
    if (!set) return;
    set.delete(entry);
    if (set.size === 0) this.map.delete(key!);
  }
  /** A copy, so closing entries while iterating is safe. */
  get(key: string): Entry[] {
    return [...(this.map.get(key) ?? [])];
  }
  count(key: string): number {
    return this.map.get(key)?.size ?? 0;
  }
}

export interface WsConnections {
  /** False when the server already holds `limits.maxConnections` sockets (`open`, this one included). */
  hasRoom(open: number): boolean;
  /**
   * Authenticate a connection with `authenticate` (kept to re-check it later) and admit it:
   * 'refused' without an actor or when the credential expired, 'too_many' when its user is at the
   * cap. A revocation arriving while it authenticates makes it authenticate again.
   */
  admit(socket: WebSocket, authenticate: () => Promise<RequestAuth>): Promise<Admission>;
  /** Forget a closed connection (its cap slot frees). Idempotent. */
  release(socket: WebSocket): void;
  /** An error refusing an operation when its connection runs `running` (this one included) and that is too many; else null. */
  tooManyOperations(running: number): GraphQLError | null;
  /** Stop listening to the bus and forget every connection. */
  close(): void;
}

/** Build the connection registry of one server; listens to `credentialsRevoked` until close(). */
export function createWsConnections(fleet: FleetContext, limits: WsLimits, log: Logger): WsConnections {
  const entries = new Map<WebSocket, Entry>();
  const bySession = new Index();
  const byToken = new Index();
  const byUser = new Index();
  let revocations = 0;

  const release = (socket: WebSocket) => {
    const entry = entries.get(socket);
    if (!entry) return;
    entries.delete(socket);
    clearTimeout(entry.timer);
    bySession.remove(entry.auth.sessionId, entry);
    byToken.remove(entry.auth.apiTokenId, entry);
    byUser.remove(entry.userId, entry);
  };

  const end = (entry: Entry, code: number, reason: string) => {
    release(entry.socket);
    entry.socket.close(code, reason);
  };

  /** Close `entry` when its credential's expiry comes (in real time from now). */
  const armExpiry = (entry: Entry, expiresAt: Date) => {
    const deadline = Date.now() + (expiresAt.getTime() - fleet.clock().getTime());
    const arm = () => {
      const left = deadline - Date.now();
      if (left <= 0) return end(entry, WsCloseCode.forbidden, 'the session or API token has expired');
      entry.timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
      entry.timer.unref();
    };
    arm();
  };

  const recheck = async (entry: Entry) => {
    try {
      const auth = await entry.authenticate();
      if (entries.get(entry.socket) !== entry) return;
      const before = entry.auth.actor?.role ?? null;
      if (!auth.actor || (before !== null && !roleAtLeast(auth.actor.role, before))) {
        end(entry, WsCloseCode.forbidden, 'the credential has ended or lost rights');
      } else {
        // A raised role is the one later operations run with, so lowering it again must close.
        entry.auth = { ...entry.auth, actor: auth.actor };
      }
    } catch (error) {
      log.warn({ err: error }, 'could not re-check a WebSocket credential; closing the connection');
      if (entries.get(entry.socket) === entry) end(entry, WsCloseCode.internalError, 'Internal error');
    }
  };

  const revoked = (event: FleetEvents['credentialsRevoked']) => {
    revocations++;
    for (const id of event.sessionIds ?? []) {
      for (const entry of bySession.get(id)) end(entry, WsCloseCode.forbidden, 'the session has ended');
    }
    for (const id of event.apiTokenIds ?? []) {
      for (const entry of byToken.get(id)) end(entry, WsCloseCode.forbidden, 'the API token was revoked');
    }
    for (const entry of event.userId ? byUser.get(event.userId) : []) {
      entry.rechecks = (entry.rechecks ?? Promise.resolve()).then(() => recheck(entry));
    }
  };
  const unsubscribe = fleet.events.subscribe('credentialsRevoked', revoked);

  return {
    hasRoom: (open) => open <= limits.maxConnections,
    async admit(socket, authenticate) {
      let auth: RequestAuth | undefined;
      for (let attempt = 0; attempt < ADMIT_ATTEMPTS && !auth; attempt++) {
        const seen = revocations;
        const candidate = await authenticate();
        if (seen === revocations) auth = candidate;
      }
      const userId = auth?.actor?.id;
      if (!auth || !userId || socket.readyState !== socket.OPEN) return 'refused';
      if (auth.expiresAt && auth.expiresAt <= fleet.clock()) return 'refused';
      if (byUser.count(userId) >= limits.maxConnectionsPerUser) return 'too_many';
      const entry: Entry = { socket, userId, auth, authenticate };
      entries.set(socket, entry);
      bySession.add(auth.sessionId, entry);
      byToken.add(auth.apiTokenId, entry);
      byUser.add(userId, entry);
      if (auth.expiresAt) armExpiry(entry, auth.expiresAt);
      return 'admitted';
    },
    release,
    tooManyOperations(running) {
      if (running <= limits.maxSubscriptionsPerConnection) return null;
      return new GraphQLError(
        `too many operations on this connection (at most ${limits.maxSubscriptionsPerConnection}); complete one first`,
        { extensions: { code: TOO_MANY_SUBSCRIPTIONS } },
      );
    },
    close() {
      unsubscribe();
      for (const socket of [...entries.keys()]) release(socket);
    },
  };
}
