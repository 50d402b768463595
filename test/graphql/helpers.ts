/**
 * Clients for the GraphQL tests: HTTP requests through fetch (API token or session cookie, with
 * the CSRF header unless a test leaves it out) and graphql-ws subscriptions over a real socket.
 */
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { CLI_ACTOR, type FleetContext } from '../../api/fleet/context.ts';
import { createUser } from '../../api/fleet/users.ts';
import { createApiToken } from '../../api/fleet/api-tokens.ts';
import type { Role } from '../../api/generated/prisma/client.ts';
import { waitFor } from '../helpers/factories.ts';

/** Response data as tests read it: shapes are checked by assertions, not by types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = Record<string, any>;

export interface Caller {
  /** `Bearer FLT_…`, or a `flotilla_session=…` cookie. */
  token?: string;
  cookie?: string;
  /** Send the CSRF header (default true). */
  csrf?: boolean;
  headers?: Record<string, string>;
}

export interface GqlResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data: T | null;
  errors: { message: string; extensions?: { code?: string } }[] | undefined;
}

/** POST a GraphQL operation to `baseUrl`/graphql as `caller`. */
export async function gql<T = Loose>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  caller: Caller = {},
): Promise<GqlResponse<T>> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(caller.csrf === false ? {} : { 'x-flotilla-csrf': '1' }),
      ...(caller.token ? { authorization: `Bearer ${caller.token}` } : {}),
      ...(caller.cookie ? { cookie: caller.cookie } : {}),
      ...caller.headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: GqlResponse['errors'] };
  return { status: res.status, headers: res.headers, data: body.data ?? null, errors: body.errors };
}

/** The data of a successful operation; throws with the errors otherwise. */
export async function gqlData<T = Loose>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  caller: Caller = {},
): Promise<T> {
  const res = await gql<T>(baseUrl, query, variables, caller);
  if (res.errors?.length || !res.data) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
  return res.data;
}

/** The first error code of a response. */
export function errorCode(res: GqlResponse): string | undefined {
  return res.errors?.[0]?.extensions?.code;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  role: Role;
  /** An API token with the user's role. */
  token: string;
}

/** Create a user of `role` with an API token, through the fleet. */
export async function createTestUser(ctx: FleetContext, role: Role): Promise<TestUser> {
  const email = `${role}-${crypto.randomBytes(4).toString('hex')}@example.com`;
  const password = 'correct horse battery staple';
  const user = await createUser(ctx, CLI_ACTOR, { email, role, password });
  const { token } = await createApiToken(ctx, CLI_ACTOR, { userId: user.id, name: `test ${role}` });
  return { id: user.id, email, password, role, token };
}

export const LOGIN = `mutation Login($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on LoginPayload { viewer { role authMethod user { email } } }
    ... on Error { code message }
    ... on TooManyAttemptsError { retryAfterSeconds }
  }
}`;

/** Sign in over HTTP and return the `flotilla_session=…` cookie pair. */
export async function loginCookie(baseUrl: string, email: string, password: string): Promise<string> {
  const res = await gql(baseUrl, LOGIN, { input: { email, password } });
  const setCookie = res.headers.get('set-cookie') ?? '';
  const pair = setCookie.split(';')[0];
  if (!pair.startsWith('flotilla_session=') || pair === 'flotilla_session=') {
    throw new Error(`login failed: ${JSON.stringify(res.data ?? res.errors)}`);
  }
  return pair;
}

export interface Subscription<T> {
  /** Every message received so far. */
  messages: T[];
  /** Errors the server sent for this operation. */
  errors: unknown[];
  /** Resolve once a message satisfies `match` (default: any), polling until `timeoutMs`. */
  next(match?: (message: T) => boolean, timeoutMs?: number): Promise<T>;
  /** Complete this operation, keeping the connection open. */
  complete(): void;
  /** Complete this operation and close the connection. */
  close(): Promise<void>;
}

export interface WsOptions {
  token?: string;
  cookie?: string;
  origin?: string;
  /** Called with the close event code when the server closes the socket. */
  onClosed?: (code: number) => void;
  /** Called when the server acknowledged the connection (it was admitted). */
  onConnected?: () => void;
}

/** A graphql-ws client for `baseUrl`/graphql. */
export function wsClient(baseUrl: string, options: WsOptions = {}): Client {
  const headers: Record<string, string> = {};
  if (options.cookie) headers.cookie = options.cookie;
  if (options.origin) headers.origin = options.origin;
  class HeaderSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  return createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: HeaderSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => undefined,
    connectionParams: options.token ? { authorization: `Bearer ${options.token}` } : undefined,
    on: {
      closed: (event) => options.onClosed?.((event as { code: number }).code),
      connected: () => options.onConnected?.(),
    },
  });
}

/** Where a subscription is served: the test server, which shows when a subscription is live. */
export interface SubscriptionHost {
  subscriptionsStarted(): number;
}

/** A socket's fate as a test watches it: acknowledged (`open`), then maybe closed with a code. */
export interface WatchedSocket {
  client: Client;
  state(): { open: boolean; closed: number | null };
  /** Resolve once the server acknowledged (`'open'`) or closed the connection (its code). */
  settled(timeoutMs?: number): Promise<'open' | number>;
  /** Resolve the close code once the server closed the connection. */
  closed(timeoutMs?: number): Promise<number>;
}

/** Open a graphql-ws connection to `baseUrl` and watch whether it is admitted or closed. */
export function watchedClient(baseUrl: string, options: WsOptions = {}): WatchedSocket {
  const state = { open: false, closed: null as number | null };
  const client = wsClient(baseUrl, {
    ...options,
    onConnected: () => (state.open = true),
    onClosed: (code) => (state.closed = code),
  });
  return {
    client,
    state: () => ({ ...state }),
    settled: (timeoutMs = 5000) =>
      waitFor(() => state.closed ?? (state.open ? ('open' as const) : null), timeoutMs, 5),
    closed: (timeoutMs = 5000) => waitFor(() => state.closed, timeoutMs, 5),
  };
}

/**
 * Subscribe and collect messages. Resolves once the operation is live on `host` (it receives what
 * its execution sends, shared or its own), or once the server refused it (an error, or the socket closed), so
 * events published afterwards are not missed and refusals are in `errors`. With `'unconfirmed'`
 * (a server in another process, whose bus the test cannot see) it resolves at once, and the caller
 * repeats its trigger until the message arrives.
 */
export async function subscribe<T = Loose>(
  host: SubscriptionHost | 'unconfirmed',
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Subscription<T>> {
  const messages: T[] = [];
  const errors: unknown[] = [];
  let completed = false;
  const before = host === 'unconfirmed' ? 0 : host.subscriptionsStarted();
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) errors.push(...result.errors);
        if (result.data) messages.push(result.data as T);
      },
      error: (error) => errors.push(error),
      complete: () => (completed = true),
    },
  );
  if (host !== 'unconfirmed') {
    await waitFor(() => host.subscriptionsStarted() > before || errors.length > 0 || completed, 5000, 5);
  }
  return {
    messages,
    errors,
    next: (match = () => true, timeoutMs = 5000) => waitFor(() => messages.find(match), timeoutMs, 10),
    complete: unsubscribe,
    async close() {
      unsubscribe();
      await client.dispose();
    },
  };
}
