/**
 * Serving the built dashboard: files with the right type and caching, index.html for client-side
 * routes, 404 for missing assets, no escape from the dist folder, API paths left alone.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebStatic } from '../../api/web-static.ts';

let dir: string;
let server: http.Server;
let base: string;
const script = `console.log(${JSON.stringify('x'.repeat(4000))});`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-web-'));
  await fs.mkdir(path.join(dir, 'assets'));
  await fs.writeFile(path.join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
  await fs.writeFile(path.join(dir, 'assets', 'index-abc123.js'), script);
  const web = createWebStatic(dir);
  server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    if (web.handles(req, pathname)) return void web.serve(req, res, pathname);
    res.writeHead(418).end('api');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await fs.rm(dir, { recursive: true, force: true });
});

/** A raw GET (fetch would decode gzip and normalise `..`). */
function get(pathname: string, headers: http.OutgoingHttpHeaders = {}, method = 'GET') {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>(
    (resolve, reject) => {
      const req = http.request(`${base}${pathname}`, { method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      });
      req.on('error', reject);
      req.end();
    },
  );
}

describe('dashboard static files', () => {
  it('serves index.html at / and for client-side routes, always revalidated', async () => {
    for (const route of ['/', '/agents/4f1c', '/groups/web?x=1']) {
      const res = await get(route);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body.toString()).toContain('<div id="app">');
    }
  });

  it('sends its pages with a same-origin-only CSP, no framing, nosniff and a same-origin referrer', async () => {
    for (const route of ['/', '/agents', '/assets/index-abc123.js']) {
      const res = await get(route);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/https?:/);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('same-origin');
    }
  });

  it('serves hashed assets for a year, gzipped when the browser accepts it', async () => {
    const res = await get('/assets/index-abc123.js', { 'accept-encoding': 'gzip, br' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.body).toString()).toBe(script);
    const plain = await get('/assets/index-abc123.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(script);
  });

  it('answers 404 for a missing asset instead of the page', async () => {
    expect((await get('/assets/gone-000.js')).status).toBe(404);
  });

  it('never serves files outside the dist folder', async () => {
    const res = await get('/../../../../etc/passwd');
    expect(res.body.toString()).not.toContain('root:');
    const encoded = await get('/%2e%2e/%2e%2e/%2e%2e/etc/passwd');
    expect(encoded.body.toString()).not.toContain('root:');
  });

  it('leaves API paths and non-GET methods to the API', async () => {
    expect((await get('/api/v1/agents/nope')).status).toBe(418);
    expect((await get('/graphql')).status).toBe(418);
    expect((await get('/', {}, 'POST')).status).toBe(418);
    const head = await get('/', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('explains how to build the dashboard when it is missing', async () => {
    const web = createWebStatic(path.join(dir, 'nowhere'));
    const bare = http.createServer((req, res) => void web.serve(req, res, '/'));
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const res = await fetch(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/`);
    await new Promise((resolve) => bare.close(resolve));
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/npm run build:web/);
  });
});
