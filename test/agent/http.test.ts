/**
 * The agent's HTTP client (agent/transport/http.ts) against a real server on port 0: buffered
 * answers, the response size cap, aborts, https on first use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeFetch } from '../../agent/transport/http.ts';
import { requestInit, startEchoServer, type EchoServer } from '../helpers/echo-server.ts';

let echo: EchoServer;

beforeAll(async () => {
  echo = await startEchoServer();
});
afterAll(async () => {
  await echo.close();
});

describe('agent HTTP client', () => {
  it('sends the body with its length and buffers the answer (status, headers, json, bytes)', async () => {
    const response = await createNodeFetch()(
      `${echo.base}/echo`,
      requestInit({ method: 'POST', body: 'héllo' }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('X-A')).toBe('1, 2');
    expect(response.headers.get('x-missing')).toBeNull();
    expect(await response.json()).toEqual({ method: 'POST', url: '/echo', body: 'héllo', length: '6' });
    expect(new Uint8Array(await response.arrayBuffer()).length).toBeGreaterThan(10);
  });

  it('rejects an answer over the size cap', async () => {
    const fetch = createNodeFetch({ maxResponseBytes: 1024 });
    await expect(fetch(`${echo.base}/big`, requestInit())).rejects.toThrow('response too large');
  });

  it('rejects with the abort reason, before sending or while waiting', async () => {
    const fetch = createNodeFetch();
    const early = new AbortController();
    early.abort(new Error('early'));
    await expect(fetch(`${echo.base}/echo`, requestInit({ signal: early.signal }))).rejects.toThrow('early');
    const late = new AbortController();
    const pending = fetch(`${echo.base}/hang`, requestInit({ signal: late.signal }));
    const seen = echo.peers.length;
    await expect.poll(() => echo.peers.length).toBeGreaterThan(seen);
    late.abort(new Error('late'));
    await expect(pending).rejects.toThrow('late');
  });

  it('takes https URLs through TLS (node:https is loaded on first use)', async () => {
    const fetch = createNodeFetch();
    // The test server speaks plain HTTP: a TLS handshake with it fails, which proves TLS was used.
    await expect(fetch(`${echo.base.replace('http:', 'https:')}/echo`, requestInit())).rejects.toThrow(
      /ssl|tls|EPROTO/i,
    );
    expect((await fetch(`${echo.base}/echo`, requestInit())).status).toBe(200);
  });
});
