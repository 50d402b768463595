import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystemClock } from '../../agent/clock.ts';
import { createClient, sha256Hex, type Credentials } from '../../agent/transport/client.ts';
import { createNodeFetch } from '../../agent/transport/http.ts';

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;
let route: Route = (_req, res) => res.end();
let server: http.Server;
let creds: Credentials;
const requests: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    route(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  creds = {
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    agentId: 'a 1',
    agentToken: 'AGT_t',
  };
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const client = (timeoutMs = 2000) =>
  createClient({ fetch: createNodeFetch(), clock: createSystemClock(), timeoutMs, userAgent: 'test' });

describe('transport client', () => {
  it('polls with since (and wait when asked) and maps 204 to unchanged with the long-poll offer', async () => {
    route = (_req, res) => res.writeHead(204, { 'x-long-poll-max': '60' }).end();
    const outcome = await client().pollConfig(creds, { since: 3, waitSeconds: 20 });
    expect(outcome).toEqual({ kind: 'ok', value: { kind: 'unchanged', longPollMax: 60 } });
    expect(requests.at(-1)).toBe('GET /api/v1/agents/a%201/config?since=3&wait=20 Bearer AGT_t');
  });

  it('returns a 200 config with its version and etag', async () => {
    const body = 'sources: {}\n';
    route = (_req, res) =>
      res
        .writeHead(200, {
          'content-type': 'application/yaml',
          'x-config-version': '7',
          'x-config-etag': `sha256:${sha256Hex(body)}`,
        })
        .end(body);
    expect(await client().pollConfig(creds, { since: 0 })).toEqual({
      kind: 'ok',
      value: { kind: 'config', version: 7, etag: `sha256:${sha256Hex(body)}`, body, longPollMax: undefined },
    });
  });

  it('treats a body that does not match its etag as retryable', async () => {
    route = (_req, res) =>
      res.writeHead(200, { 'x-config-version': '7', 'x-config-etag': 'sha256:00' }).end('a: 1');
    expect((await client().pollConfig(creds, { since: 0 })).kind).toBe('retryable');
  });

  it('classifies 503 as retryable and honours Retry-After', async () => {
    route = (_req, res) => res.writeHead(503, { 'retry-after': '7' }).end();
    expect(await client().pollConfig(creds, { since: 0 })).toMatchObject({
      kind: 'retryable',
      status: 503,
      retryAfterMs: 7000,
    });
  });

  it('classifies 403 as fatal with the protocol error code', async () => {
    route = (_req, res) =>
      res
        .writeHead(403, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'token_revoked', message: 'revoked' } }));
    expect(await client().heartbeat(creds, heartbeat())).toMatchObject({
      kind: 'fatal',
      status: 403,
      code: 'token_revoked',
    });
  });

  it('classifies a refused connection and a timeout as retryable', async () => {
    const refused = await client().pollConfig({ ...creds, apiUrl: 'http://127.0.0.1:1' }, { since: 0 });
    expect(refused.kind).toBe('retryable');
    route = () => undefined;
    const slow = await client(100).pollConfig(creds, { since: 0 });
    expect(slow).toMatchObject({ kind: 'retryable', message: expect.stringContaining('timed out') });
  });

  it('parses a heartbeat answer and treats a malformed one as retryable', async () => {
    const data = { pendingActions: [{ id: 'x', type: 'upgrade_agent', payload: {} }], rejectedResults: [] };
    route = (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
    expect(await client().heartbeat(creds, heartbeat())).toEqual({ kind: 'ok', value: data });
    route = (_req, res) => res.writeHead(200).end('<html>proxy</html>');
    expect((await client().heartbeat(creds, heartbeat())).kind).toBe('retryable');
  });

  it('downloads a release only when its SHA-256 matches', async () => {
    route = (_req, res) => res.writeHead(200).end('bundle-bytes');
    const url = `${creds.apiUrl}/api/v1/agents/releases/1.2.3`;
    expect(await client().downloadRelease(url, sha256Hex('bundle-bytes'))).toMatchObject({ kind: 'ok' });
    expect(await client().downloadRelease(url, sha256Hex('other'))).toMatchObject({
      kind: 'fatal',
      message: expect.stringContaining('checksum mismatch'),
    });
  });
});

function heartbeat() {
  return {
    agentVersion: '1.0.0',
    vectorVersion: '',
    appliedConfigVersion: 0,
    vectorRunning: false,
    vectorUptimeSeconds: 0,
  };
}
