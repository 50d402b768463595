/**
 * The GraphQL context: the fleet, the caller and the few request facts resolvers need. Built by
 * createContext for HTTP requests (http.ts) and WebSocket subscriptions (ws.ts) alike.
 */
import type { Logger } from 'pino';
import type { TrustedProxies } from '../http/request-info.ts';
import type { Actor, FleetContext } from '../fleet/context.ts';
import type { AgentDirectory } from '../fleet/agent-directory.ts';
import type { RequestAuth } from './auth.ts';
import type { LoginLimiter } from './login-limiter.ts';

/** How subscriptions coalesce events (see live.ts). */
export interface LiveSettings {
  /** Minimum time between two messages of one entity subscription. */
  intervalMs: number;
  /** Minimum time between two fleetSummaryUpdated messages of one subscription. */
  summaryIntervalMs: number;
  /** Most entities one message carries; the rest follow in the next one. */
  maxBatch: number;
}

/** What lives as long as the server: built once by mount.ts. */
export interface GraphqlServices {
  fleet: FleetContext;
  /** This replica's agent directory: subscriptions hear which agents' config pins changed. */
  directory: AgentDirectory;
  log: Logger;
  loginLimiter: LoginLimiter;
  live: LiveSettings;
  /** Take the scheme and client address from X-Forwarded-* (FLOTILLA_TRUST_PROXY). */
  trustProxy: TrustedProxies;
}

export interface RequestFacts {
  transport: 'http' | 'ws';
  clientAddress: string;
  /** True when browsers reach this server over HTTPS: cookies then get `Secure`. */
  secure: boolean;
  /** Queue a Set-Cookie header for the response; absent over WebSocket. */
  setCookie?: (value: string) => void;
}

export interface GraphQLContext {
  fleet: FleetContext;
  services: GraphqlServices;
  actor: Actor | null;
  auth: RequestAuth;
  transport: RequestFacts['transport'];
  clientAddress: string;
  secure: boolean;
  /** Queue a Set-Cookie header; throws over WebSocket, where there is no response to carry it. */
  setCookie(value: string): void;
  /** The user this operation acts for; login sets it, so its payload may show the new user. */
  identity: { userId: string | null };
}

/** Build the context of one operation. Never fails. */
export function createContext(
  services: GraphqlServices,
  auth: RequestAuth,
  facts: RequestFacts,
): GraphQLContext {
  return {
    fleet: services.fleet,
    services,
    actor: auth.actor,
    auth,
    transport: facts.transport,
    clientAddress: facts.clientAddress,
    secure: facts.secure,
    identity: { userId: auth.actor?.id ?? null },
    setCookie:
      facts.setCookie ??
      (() => {
        throw new Error('cookies can only be set over HTTP');
      }),
  };
}

/**
 * The actor of an authorised operation. Resolvers call it after scope-auth admitted the caller,
 * so it only throws (an unexpected, masked error) when a field forgot its authScopes.
 */
export function actorOf(ctx: GraphQLContext): Actor {
  if (!ctx.actor) throw new Error('resolver reached without an actor: the field lacks authScopes');
  return ctx.actor;
}

/**
 * A GraphQL input as fleet functions take it: top-level nulls become "not given", except for the
 * `nullable` keys, where null means "clear this value".
 */
export function fleetInput<T extends object>(
  input: T,
  nullable: readonly string[] = [],
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(input).filter(([key, value]) => value !== null || nullable.includes(key)),
  );
}
