/**
 * /graphql over HTTP for browsers and odd clients: no CORS (the dashboard and GraphiQL are
 * same-origin, so another site's page gets no access-control-allow-* headers), and a request in a
 * content type GraphQL does not take gets 415 with a GraphQL error body naming the accepted ones.
 * GraphiQL loads only same-origin files (it works air-gapped) under a strict CSP, and cannot be framed.
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

describe('GraphiQL without a CDN', () => {
  const page = () => fetch(`${server.baseUrl}/graphql`, { headers: { accept: 'text/html' } });

  it('is served with a CSP that allows only same-origin scripts, and cannot be framed', async () => {
    const res = await page();
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
  });

  it('references only same-origin scripts, styles and icons, runs no inline script, and they are all served', async () => {
    const html = await (await page()).text();
    expect(html).not.toMatch(/https?:\/\//);
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, content] of scripts) {
      // Either a same-origin file, or a JSON data block (never executed).
      if (/type="application\/json"/.test(attributes)) continue;
      expect(attributes).toMatch(/src="\/graphql\//);
      expect(content.trim()).toBe('');
    }
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls.length).toBeGreaterThanOrEqual(4);
    const boot = urls.find((u) => u.endsWith('/boot.js'))!;
    // The editor's workers, asked for by label from the boot script's folder.
    const workers = ['editorWorkerService', 'json', 'graphql'].map((label) =>
      boot.replace(/boot\.js$/, `worker-${label}.js`),
    );
    for (const url of [...urls, ...workers]) {
      expect(url.startsWith('/')).toBe(true);
      const res = await fetch(`${server.baseUrl}${url}`);
      expect(res.status, url).toBe(200);
      expect(res.headers.get('content-type'), url).toMatch(/javascript|css|image/);
      expect(res.headers.get('cache-control'), url).toContain('immutable');
      expect((await res.arrayBuffer()).byteLength, url).toBeGreaterThan(0);
    }
  });

  it('answers 404 for an unknown file or a stale hash', async () => {
    const html = await (await page()).text();
    const boot = [...html.matchAll(/src="([^"]+boot\.js)"/g)][0][1];
    for (const url of [
      boot.replace('boot.js', 'nope.js'),
      '/graphql/graphiql/0000/boot.js',
      '/graphql/graphiql/',
    ]) {
      expect((await fetch(`${server.baseUrl}${url}`)).status, url).toBe(404);
    }
  });
});
