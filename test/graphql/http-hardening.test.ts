/**
 * /graphql over HTTP for browsers and odd clients: no CORS (the dashboard and GraphiQL are
 * same-origin, so another site's page gets no access-control-allow-* headers), and a request in a
 * content type GraphQL does not take gets 415 with a GraphQL error body naming the accepted ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createTestUser, type TestUser } from './helpers.ts';

let server: TestServer;
let viewer: TestUser;
beforeAll(async () => {
  server = await startTestServer();
  viewer = await createTestUser(server.ctx, 'viewer');
});
afterAll(() => server.close());

const allowHeaders = (headers: Headers) =>
  [...headers.keys()].filter((name) => name.startsWith('access-control-'));

describe('CORS is off', () => {
  it('a cross-origin preflight gets no access-control-allow-* headers', async () => {
    const res = await fetch(`${server.baseUrl}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, x-flotilla-csrf',
      },
    });
    expect(allowHeaders(res.headers)).toEqual([]);
  });

  it('a cross-origin POST with credentials gets its answer without access-control-allow-* headers', async () => {
    const res = await fetch(`${server.baseUrl}/graphql`, {
      method: 'POST',
      headers: {
        origin: 'https://evil.example',
        'content-type': 'application/json',
        authorization: `Bearer ${viewer.token}`,
      },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    expect(res.status).toBe(200);
    expect(allowHeaders(res.headers)).toEqual([]);
  });
});

describe('unsupported content types', () => {
  it('text/plain gets 415 with a JSON GraphQL error naming the accepted types', async () => {
    const res = await fetch(`${server.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${viewer.token}` },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.errors[0].extensions.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(body.errors[0].extensions.accepted).toContain('application/json');
    expect(body.errors[0].message).toContain('application/json');
  });
});
