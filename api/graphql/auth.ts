/**
 * Who is calling /graphql. Automation sends `Authorization: Bearer FLT_…` (an API token); the
 * dashboard holds a session cookie (httpOnly, SameSite=Lax, Secure behind HTTPS). Cookie requests
 * are guarded against cross-site forgery: HTTP requests without a bearer token must carry the
 * `x-flotilla-csrf` header (which a cross-site page cannot send without a CORS preflight, never
 * granted here), and a cookie-authenticated WebSocket must come from this server's own origin.
 */
import type { Actor, FleetContext } from '../fleet/context.ts';
import { apiTokenFromBearer } from '../fleet/api-tokens.ts';
import { authenticateSession } from '../fleet/sessions.ts';

export const SESSION_COOKIE = 'flotilla_session';
export const CSRF_HEADER = 'x-flotilla-csrf';

export interface RequestAuth {
  actor: Actor | null;
  method: 'session' | 'api_token' | null;
  /** The session behind a cookie-authenticated request (logout ends it). */
  sessionId: string | null;
  /** The API token behind a bearer-authenticated request. */
  apiTokenId: string | null;
  /** When the session or API token ends by itself (null: a token without expiry, or anonymous). */
  expiresAt: Date | null;
}

export const ANONYMOUS: RequestAuth = {
  actor: null,
  method: null,
  sessionId: null,
  apiTokenId: null,
  expiresAt: null,
};

/** A request refused before it runs (bad credentials, missing CSRF header, too large). */
export class RequestRejected extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The headers auth looks at, from node:http or a WebSocket upgrade request. */
export interface AuthHeaders {
  authorization?: string | undefined;
  cookie?: string | undefined;
}

/** The raw value of cookie `name` in a Cookie header (session secrets are base64url), or null. */
function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * Resolve the caller: a valid API token, else a valid session cookie (when `allowCookie`), else
 * anonymous. Throws RequestRejected(401, UNAUTHENTICATED) for an Authorization header that is not a
 * valid `Bearer FLT_…` token, so scripts fail loudly instead of running as anonymous. An unknown or
 * expired session cookie is anonymous. Rejects when the database fails.
 */
export async function authenticate(
  fleet: FleetContext,
  headers: AuthHeaders,
  allowCookie: boolean,
): Promise<RequestAuth> {
  if (headers.authorization !== undefined) {
    const token = await apiTokenFromBearer(fleet, headers.authorization);
    if (!token)
      throw new RequestRejected(401, 'UNAUTHENTICATED', 'the API token is unknown, revoked or expired');
    const { actor, tokenId, expiresAt } = token;
    return { actor, method: 'api_token', sessionId: null, apiTokenId: tokenId, expiresAt };
  }
  const secret = allowCookie ? readCookie(headers.cookie, SESSION_COOKIE) : null;
  const session = secret ? await authenticateSession(fleet, secret) : null;
  if (!session) return ANONYMOUS;
  const { actor, sessionId, expiresAt } = session;
  return { actor, method: 'session', sessionId, apiTokenId: null, expiresAt };
}

/** The Set-Cookie value that stores a session secret (base64url, needs no escaping) until `expiresAt`. */
export function sessionCookie(secret: string, expiresAt: Date, secure: boolean): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  return [
    `${SESSION_COOKIE}=${secret}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${maxAge}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/** The Set-Cookie value that deletes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return [
    `${SESSION_COOKIE}=`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    'Max-Age=0',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}
