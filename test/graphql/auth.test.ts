/**
 * Authentication on /graphql: login / logout with the session cookie, API tokens, CSRF for
 * cookie requests, failed-login throttling, and WebSocket authentication on connect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { revokeApiToken } from '../../api/fleet/api-tokens.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { waitFor } from '../helpers/factories.ts';
import {
  LOGIN,
  createTestUser,
  errorCode,
  gql,
  gqlData,
  loginCookie,
  subscribe,
  wsClient,
  type TestUser,
} from './helpers.ts';

let server: TestServer;
let editor: TestUser;
beforeAll(async () => {
  server = await startTestServer();
  editor = await createTestUser(server.ctx, 'editor');
});
afterAll(() => server.close());

const VIEWER = '{ viewer { role authMethod user { email } } }';

describe('login and logout', () => {
  it('sets an httpOnly SameSite=Lax session cookie that authenticates later requests', async () => {
    const res = await gql(server.baseUrl, LOGIN, {
      input: { email: editor.email, password: editor.password },
    });
    expect(res.data?.login).toMatchObject({
      __typename: 'LoginPayload',
      viewer: { role: 'editor', authMethod: 'session' },
    });
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^flotilla_session=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).not.toContain('Secure');
    const cookie = setCookie.split(';')[0];
    const me = await gqlData(server.baseUrl, VIEWER, {}, { cookie });
    expect(me.viewer).toEqual({ role: 'editor', authMethod: 'session', user: { email: editor.email } });
  });

  it('answers InvalidCredentialsError for a wrong password and sets no cookie', async () => {
    const res = await gql(server.baseUrl, LOGIN, {
      input: { email: editor.email, password: 'wrong password!' },
    });
    expect(res.data?.login).toMatchObject({
      __typename: 'InvalidCredentialsError',
      code: 'invalid_credentials',
    });
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('audits failed sign-ins with a bounded email and never the password; a NUL email is refused unaudited', async () => {
    const since = new Date();
    const wrong = 'wrong password, audited?';
    const long = `${'x'.repeat(5000)}@example.com`;
    for (const email of [editor.email, 'nobody@example.com', long]) {
      const res = await gql(server.baseUrl, LOGIN, { input: { email, password: wrong } });
      expect(res.status).toBe(200);
      expect(res.data?.login).toMatchObject({ __typename: 'InvalidCredentialsError' });
    }
    // Unstorable text never reaches the resolver (input-bounds.ts): a typed error, nothing audited.
    const nul = await gql(server.baseUrl, LOGIN, {
      input: { email: 'nul\u0000@example.com', password: wrong },
    });
    expect(errorCode(nul)).toBe('BAD_USER_INPUT');
    const events = await server.ctx.db.auditEvent.findMany({
      where: { action: 'session.start_failed', createdAt: { gte: since } },
      orderBy: { createdAt: 'asc' },
    });
    expect(events).toHaveLength(3);
    expect(events.map((e) => e.actorType)).toEqual(['anonymous', 'anonymous', 'anonymous']);
    expect(events[0]).toMatchObject({ targetType: 'user', targetId: editor.id, actorLabel: editor.email });
    expect(events[1]).toMatchObject({ targetId: null, after: { email: 'nobody@example.com' } });
    expect(events[2].actorLabel).toHaveLength(254);
    expect((events[0].after as { clientAddress: string }).clientAddress).toMatch(/127\.0\.0\.1/);
    expect(JSON.stringify(events)).not.toContain(wrong);
  });

  it('ends the session on logout and clears the cookie', async () => {
    const cookie = await loginCookie(server.baseUrl, editor.email, editor.password);
    const res = await gql(
      server.baseUrl,
      'mutation { logout(input: {}) { ... on LogoutPayload { endedSessions } } }',
      {},
      { cookie },
    );
    expect(res.data?.logout).toEqual({ endedSessions: 1 });
    expect(res.headers.get('set-cookie')).toMatch(/^flotilla_session=; .*Max-Age=0/);
    expect((await gqlData(server.baseUrl, VIEWER, {}, { cookie })).viewer).toBeNull();
  });

  it('ends every session of the user with everywhere: true', async () => {
    const first = await loginCookie(server.baseUrl, editor.email, editor.password);
    const second = await loginCookie(server.baseUrl, editor.email, editor.password);
    const res = await gqlData(
      server.baseUrl,
      'mutation { logout(input: { everywhere: true }) { ... on LogoutPayload { endedSessions } } }',
      {},
      { cookie: first },
    );
    expect(res.logout.endedSessions).toBeGreaterThanOrEqual(2);
    expect((await gqlData(server.baseUrl, VIEWER, {}, { cookie: second })).viewer).toBeNull();
  });

  it('marks the cookie Secure when the public URL is https', async () => {
    const https = await startTestServer({
      testDb: server.testDb,
      env: { FLOTILLA_PUBLIC_URL: 'https://flotilla.example.com' },
    });
    try {
      const res = await gql(https.baseUrl, LOGIN, {
        input: { email: editor.email, password: editor.password },
      });
      expect(res.headers.get('set-cookie')).toContain('; Secure');
    } finally {
      await https.close();
    }
  });
});

describe('failed-login throttling', () => {
  it('refuses further attempts for an email after 5 failures, even with the right password', async () => {
    const user = await createTestUser(server.ctx, 'viewer');
    for (let i = 0; i < 5; i++) {
      const res = await gql(server.baseUrl, LOGIN, {
        input: { email: user.email, password: `wrong ${i} password` },
      });
      expect(res.data?.login.__typename).toBe('InvalidCredentialsError');
    }
    const blocked = await gql(server.baseUrl, LOGIN, {
      input: { email: user.email, password: user.password },
    });
    expect(blocked.data?.login).toMatchObject({
      __typename: 'TooManyAttemptsError',
      code: 'too_many_attempts',
    });
    expect(blocked.data?.login.retryAfterSeconds).toBeGreaterThan(0);
    expect(blocked.headers.get('set-cookie')).toBeNull();
  });
});

describe('API tokens', () => {
  it('authenticates Authorization: Bearer FLT_… without the CSRF header', async () => {
    const me = await gqlData(server.baseUrl, VIEWER, {}, { token: editor.token, csrf: false });
    expect(me.viewer).toEqual({ role: 'editor', authMethod: 'api_token', user: { email: editor.email } });
  });

  it('answers 401 UNAUTHENTICATED for an unknown or revoked token instead of running anonymously', async () => {
    const unknown = await gql(server.baseUrl, VIEWER, {}, { token: 'FLT_nope' });
    expect(unknown.status).toBe(401);
    expect(errorCode(unknown)).toBe('UNAUTHENTICATED');
    const user = await createTestUser(server.ctx, 'viewer');
    const record = await server.ctx.db.apiToken.findFirstOrThrow({ where: { userId: user.id } });
    await revokeApiToken(server.ctx, CLI_ACTOR, { id: record.id });
    const revoked = await gql(server.baseUrl, VIEWER, {}, { token: user.token });
    expect(revoked.status).toBe(401);
  });

  it('answers 401 for a malformed Authorization header and an expired token', async () => {
    const user = await createTestUser(server.ctx, 'viewer');
    for (const authorization of [`Basic ${user.token}`, `Bearer ${user.token} extra`, 'Bearer `id`']) {
      const res = await gql(server.baseUrl, VIEWER, {}, { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
      expect(errorCode(res)).toBe('UNAUTHENTICATED');
    }
    const record = await server.ctx.db.apiToken.findFirstOrThrow({ where: { userId: user.id } });
    await server.ctx.db.apiToken.update({ where: { id: record.id }, data: { expiresAt: new Date(0) } });
    const expired = await gql(server.baseUrl, VIEWER, {}, { token: user.token });
    expect(expired.status).toBe(401);
    expect(errorCode(expired)).toBe('UNAUTHENTICATED');
  });

  it('answers UNAUTHENTICATED for protected fields when anonymous', async () => {
    const res = await gql(server.baseUrl, '{ groups { totalCount } }');
    expect(errorCode(res)).toBe('UNAUTHENTICATED');
    expect((await gqlData(server.baseUrl, VIEWER)).viewer).toBeNull();
  });
});

describe('CSRF protection', () => {
  it('refuses cookie requests without the x-flotilla-csrf header with 403', async () => {
    const cookie = await loginCookie(server.baseUrl, editor.email, editor.password);
    const res = await gql(server.baseUrl, VIEWER, {}, { cookie, csrf: false });
    expect(res.status).toBe(403);
    expect(errorCode(res)).toBe('CSRF_HEADER_REQUIRED');
  });

  it('refuses a cross-site form post to login (no custom header possible)', async () => {
    const res = await fetch(`${server.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        query: `mutation { login(input: {email: "${editor.email}", password: "${editor.password}"}) { __typename } }`,
      }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('serves GraphiQL to browsers without credentials, set up to send the CSRF header', async () => {
    const res = await fetch(`${server.baseUrl}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('GraphiQL');
    expect(page).toContain('x-flotilla-csrf');
  });
});

describe('WebSocket authentication', () => {
  const SUB = 'subscription { groupUpdated { membershipChanged } }';

  it('accepts an API token in connectionParams', async () => {
    const sub = await subscribe(server, wsClient(server.baseUrl, { token: editor.token }), SUB);
    expect(sub.errors).toEqual([]);
    await sub.close();
  });

  it('accepts the session cookie from the same origin', async () => {
    const cookie = await loginCookie(server.baseUrl, editor.email, editor.password);
    let closed: number | null = null;
    const client = wsClient(server.baseUrl, {
      cookie,
      origin: server.baseUrl,
      onClosed: (code) => (closed = code),
    });
    const sub = await subscribe(server, client, SUB);
    expect(sub.errors).toEqual([]);
    expect(closed).toBeNull();
    await sub.close();
  });

  it('closes a connection with 4403 when it subscribes after its token was revoked', async () => {
    const user = await createTestUser(server.ctx, 'viewer');
    let closed: number | null = null;
    const client = wsClient(server.baseUrl, { token: user.token, onClosed: (code) => (closed = code) });
    const first = await subscribe(server, client, SUB);
    expect(first.errors).toEqual([]);
    const record = await server.ctx.db.apiToken.findFirstOrThrow({ where: { userId: user.id } });
    await revokeApiToken(server.ctx, CLI_ACTOR, { id: record.id });
    await subscribe(server, client, SUB);
    await waitFor(() => closed !== null);
    expect(closed).toBe(4403);
    await client.dispose();
  });

  it('refuses anonymous connections, bad tokens and cross-site cookie connections with 4403', async () => {
    const cookie = await loginCookie(server.baseUrl, editor.email, editor.password);
    for (const options of [{}, { token: 'FLT_nope' }, { cookie, origin: 'https://evil.example.com' }]) {
      let closed: number | null = null;
      const client = wsClient(server.baseUrl, { ...options, onClosed: (code) => (closed = code) });
      await waitFor(() => closed !== null);
      expect(closed).toBe(4403);
      await client.dispose();
    }
  });
});

describe('first start', () => {
  it('answers setupRequired to anyone: true while the server has no users, false after', async () => {
    const fresh = await startTestServer();
    try {
      const before = await gqlData(fresh.baseUrl, '{ setupRequired }');
      expect(before.setupRequired).toBe(true);
      await createTestUser(fresh.ctx, 'admin');
      const after = await gqlData(fresh.baseUrl, '{ setupRequired }');
      expect(after.setupRequired).toBe(false);
    } finally {
      await fresh.close();
    }
  });
});
