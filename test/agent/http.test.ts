/**
 * The one HTTP client (agent/transport/http.ts) of the agent and the simulator, against a real
 * server on port 0: buffered answers, the response size cap, aborts, and the simulator's socket
 * pool (keep-alive lanes bound to source addresses).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeFetch, createSocketPool } from '../../agent/transport/http.ts';

let server: http.Server;
let base: string;
const peers: { address: string | undefined; port: number | undefined }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    peers.push({ address: req.socket.remoteAddress, port: req.socket.remotePort });
    if (req.url === '/hang') return;
    if (req.url === '/big') return void res.end('x'.repeat(2048));
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': 'application/json', 'x-a': ['1', '2'] })
        .end(JSON.stringify({ method: req.method, body, length: req.headers['content-length'] })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const init = (extra: Partial<Parameters<ReturnType<typeof createNodeFetch>>[1]> = {}) => ({
  method: 'GET',
  headers: {},
  signal: new AbortController().signal,
  ...extra,
});

describe('agent HTTP client', () => {
  it('sends the body with its length and buffers the answer (status, headers, json, bytes)', async () => {
    const response = await createNodeFetch()(`${base}/echo`, init({ method: 'POST', body: 'héllo' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('X-A')).toBe('1, 2');
    expect(response.headers.get('x-missing')).toBeNull();
    expect(await response.json()).toEqual({ method: 'POST', body: 'héllo', length: '6' });
    expect(new Uint8Array(await response.arrayBuffer()).length).toBeGreaterThan(10);
  });

  it('rejects an answer over the size cap', async () => {
    const fetch = createNodeFetch({ maxResponseBytes: 1024 });
    await expect(fetch(`${base}/big`, init())).rejects.toThrow('response too large');
  });

  it('rejects with the abort reason, before sending or while waiting', async () => {
    const fetch = createNodeFetch();
    const early = new AbortController();
    early.abort(new Error('early'));
    await expect(fetch(`${base}/echo`, init({ signal: early.signal }))).rejects.toThrow('early');
    const late = new AbortController();
    const pending = fetch(`${base}/hang`, init({ signal: late.signal }));
    const seen = peers.length;
    await expect.poll(() => peers.length).toBeGreaterThan(seen);
    late.abort(new Error('late'));
    await expect(pending).rejects.toThrow('late');
  });

  it('takes https URLs through TLS (node:https is loaded on first use)', async () => {
    const fetch = createNodeFetch();
    // The test server speaks plain HTTP: a TLS handshake with it fails, which proves TLS was used.
    await expect(fetch(`${base.replace('http:', 'https:')}/echo`, init())).rejects.toThrow(/ssl|tls|EPROTO/i);
    expect((await fetch(`${base}/echo`, init())).status).toBe(200);
  });

  it('spreads the simulator’s lanes over source addresses and keeps their sockets alive', async () => {
    const pool = createSocketPool(['127.0.0.2', '127.0.0.3'], 2);
    try {
      expect(pool.lanes).toBe(4);
      const before = peers.length;
      for (let lane = 0; lane < 4; lane++) {
        for (let i = 0; i < 2; i++)
          expect((await pool.fetchFor(lane)(`${base}/echo`, init())).status).toBe(200);
      }
      const seen = peers.slice(before);
      expect(seen.map((p) => p.address)).toEqual([
        '127.0.0.2',
        '127.0.0.2',
        '127.0.0.3',
        '127.0.0.3',
        '127.0.0.2',
        '127.0.0.2',
        '127.0.0.3',
        '127.0.0.3',
      ]);
      // The second request of a lane reuses its socket.
      for (let lane = 0; lane < 4; lane++) expect(seen[2 * lane + 1].port).toBe(seen[2 * lane].port);
      expect(pool.openSockets()).toBe(4);
    } finally {
      pool.destroy();
    }
  });
});
