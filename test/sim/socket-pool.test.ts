/**
 * The simulator's HTTP client (agent/sim/socket-pool.ts: undici connections, one lane per source
 * address) against a real server on port 0: the same buffered answers as the agent's client, the
 * size cap, aborts (queued or sent), lanes bound to source addresses, kept-alive sockets reused
 * oldest first, and the cap on connections (requests beyond it wait, and may be aborted waiting).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocketPool, type SocketPool } from '../../agent/sim/socket-pool.ts';
import { requestInit, startEchoServer, type EchoServer } from '../helpers/echo-server.ts';

let echo: EchoServer;
const pools: SocketPool[] = [];

beforeAll(async () => {
  echo = await startEchoServer();
});
afterAll(async () => {
  for (const pool of pools) pool.destroy();
  await echo.close();
});

const poolOf = (...args: Parameters<typeof createSocketPool>) => {
  const pool = createSocketPool(...args);
  pools.push(pool);
  return pool;
};

describe('simulator socket pool', () => {
  it('sends the body with its length and buffers the answer (status, headers, json, bytes)', async () => {
    const fetch = poolOf([]).fetchFor(0);
    const response = await fetch(`${echo.base}/echo?since=3`, requestInit({ method: 'POST', body: 'héllo' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('X-A')).toBe('1, 2');
    expect(response.headers.get('x-missing')).toBeNull();
    expect(await response.json()).toEqual({
      method: 'POST',
      url: '/echo?since=3',
      body: 'héllo',
      length: '6',
    });
    expect(new Uint8Array(await response.arrayBuffer()).length).toBeGreaterThan(10);
  });

  it('rejects an answer over the size cap', async () => {
    const fetch = poolOf([], Infinity, 1024).fetchFor(0);
    await expect(fetch(`${echo.base}/big`, requestInit())).rejects.toThrow('response too large');
  });

  it('rejects with the abort reason: before sending, while queued, while waiting', async () => {
    const pool = poolOf([]);
    const fetch = pool.fetchFor(0);
    const early = new AbortController();
    early.abort(new Error('early'));
    await expect(fetch(`${echo.base}/echo`, requestInit({ signal: early.signal }))).rejects.toThrow('early');

    // Aborted while its connection is still being opened: never sent.
    const queued = new AbortController();
    const waiting = fetch(`${echo.base}/queued`, requestInit({ signal: queued.signal }));
    queued.abort(new Error('queued'));
    await expect(waiting).rejects.toThrow('queued');

    const late = new AbortController();
    const seen = echo.peers.length;
    const pending = fetch(`${echo.base}/hang`, requestInit({ signal: late.signal }));
    await expect.poll(() => echo.peers.length).toBeGreaterThan(seen);
    late.abort(new Error('late'));
    await expect(pending).rejects.toThrow('late');
    // The lane still answers; the request aborted while queued never reached the server.
    expect((await fetch(`${echo.base}/echo`, requestInit())).status).toBe(200);
    expect(echo.peers.map((p) => p.url)).not.toContain('/queued');
  });

  it('spreads its lanes over source addresses and keeps their sockets alive', async () => {
    const pool = poolOf(['127.0.0.2', '127.0.0.3']);
    expect(pool.lanes).toBe(2);
    const before = echo.peers.length;
    for (let lane = 0; lane < 4; lane++) {
      for (let i = 0; i < 2; i++)
        expect((await pool.fetchFor(lane)(`${echo.base}/echo`, requestInit())).status).toBe(200);
    }
    const seen = echo.peers.slice(before);
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
    // Lane n mod 2: each lane reuses its one socket for all four of its requests.
    for (const address of ['127.0.0.2', '127.0.0.3'])
      expect(new Set(seen.filter((p) => p.address === address).map((p) => p.port)).size).toBe(1);
    expect(pool.openSockets()).toBe(2);
    // A held request keeps its socket; the lane opens another for the next request.
    const held = new AbortController();
    const hanging = pool.fetchFor(0)(`${echo.base}/hang`, requestInit({ signal: held.signal }));
    expect((await pool.fetchFor(0)(`${echo.base}/echo`, requestInit())).status).toBe(200);
    expect(pool.openSockets()).toBe(3);
    held.abort(new Error('done'));
    await expect(hanging).rejects.toThrow('done');
  });

  it('reuses idle connections oldest first', async () => {
    const pool = poolOf([]);
    const fetch = pool.fetchFor(0);
    const before = echo.peers.length;
    // Two at once open two connections; then one at a time, they take turns.
    await Promise.all([fetch(`${echo.base}/a`, requestInit()), fetch(`${echo.base}/b`, requestInit())]);
    for (let i = 0; i < 4; i++) expect((await fetch(`${echo.base}/echo`, requestInit())).status).toBe(200);
    const ports = echo.peers.slice(before).map((p) => p.port);
    expect(new Set(ports).size).toBe(2);
    expect(pool.openSockets()).toBe(2);
    for (let i = 4; i < ports.length; i++) expect(ports[i]).toBe(ports[i - 2]);
    expect(ports[2]).not.toBe(ports[3]);
  });

  it('opens at most maxConnections; the requests beyond wait and can be aborted waiting', async () => {
    const pool = poolOf([], 1);
    const fetch = pool.fetchFor(0);
    const before = echo.peers.length;
    const answers = await Promise.all([1, 2, 3].map((n) => fetch(`${echo.base}/echo?n=${n}`, requestInit())));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(new Set(echo.peers.slice(before).map((p) => p.port)).size).toBe(1);
    expect(pool.openSockets()).toBe(1);

    // The one connection is held: the next request waits, and an abort ends its wait unsent.
    const held = new AbortController();
    const hanging = fetch(`${echo.base}/hang`, requestInit({ signal: held.signal }));
    await expect.poll(() => echo.peers.at(-1)?.url).toBe('/hang');
    const waiting = new AbortController();
    const withdrawn = fetch(`${echo.base}/withdrawn`, requestInit({ signal: waiting.signal }));
    const served = fetch(`${echo.base}/served`, requestInit());
    waiting.abort(new Error('gave up'));
    await expect(withdrawn).rejects.toThrow('gave up');
    held.abort(new Error('done'));
    await expect(hanging).rejects.toThrow('done');
    // The aborted request gave the connection back (undici reconnects it): the waiting one is served.
    expect((await served).status).toBe(200);
    expect(echo.peers.map((p) => p.url)).not.toContain('/withdrawn');
    expect(pool.openSockets()).toBeLessThanOrEqual(1);
  });
});
