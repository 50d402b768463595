/**
 * Slow clients: a client that trickles its headers or its body is cut off after
 * FLOTILLA_HEADERS_TIMEOUT_MS / FLOTILLA_REQUEST_TIMEOUT_MS (small values here), while a long-poll
 * held longer than both still gets its answer. The connection cap and the accept queue's length.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { loadConfig } from '../../api/config.ts';
import { acceptQueueLength } from '../helpers/accept-queue.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  waitFor,
} from '../helpers/factories.ts';

const HEADERS_TIMEOUT_MS = 400;
const REQUEST_TIMEOUT_MS = 800;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    env: {
      FLOTILLA_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      FLOTILLA_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    },
  });
});
afterAll(() => server.close());

/**
 * Open a socket, send `head`, then one more `drip` every 100 ms until the server closes the
 * connection. Resolves how long the server kept it open and what it answered.
 */
function trickle(head: string, drip: string): Promise<{ ms: number; answer: string }> {
  const url = new URL(server.baseUrl);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(Number(url.port), url.hostname);
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server kept a trickling client for 10 s'));
    }, 10_000);
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => socket.write(drip), 100);
    });
    socket.on('data', (d: Buffer) => (answer += d.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ ms: Date.now() - started, answer });
    });
  });
}

describe('slow clients', () => {
  it('closes a connection that trickles its headers within the headers timeout', async () => {
    const { ms, answer } = await trickle('GET /healthz HTTP/1.1\r\nHost: x\r\n', 'X-Slow: y\r\n');
    expect(answer.startsWith('HTTP/1.1 408')).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(HEADERS_TIMEOUT_MS + 1500);
  });

  it('closes a connection that trickles its body within the request timeout', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
    const body = JSON.stringify(heartbeatBody());
    const head =
      `POST ${paths.heartbeat(agent.agentId)} HTTP/1.1\r\nHost: x\r\n` +
      `Authorization: Bearer ${agent.agentToken}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length + 10_000}\r\n\r\n${body.slice(0, 1)}`;
    const { ms, answer } = await trickle(head, ' ');
    expect(answer.startsWith('HTTP/1.1 200')).toBe(false);
    expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + 1500);
    expect(server.app.heartbeats.size).toBe(0);
  });

  it('still answers a long-poll held longer than both timeouts', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
    const started = Date.now();
    const held = await fetch(
      `${server.baseUrl}${paths.config(agent.agentId)}?since=${group.configVersion}&wait=2`,
      {
        headers: { authorization: `Bearer ${agent.agentToken}` },
      },
    );
    expect(held.status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });

  it('refuses connections beyond FLOTILLA_MAX_CONNECTIONS', async () => {
    const capped = await startTestServer({ testDb: server.testDb, env: { FLOTILLA_MAX_CONNECTIONS: '2' } });
    const url = new URL(capped.baseUrl);
    const open = (): Promise<net.Socket> =>
      new Promise((resolve) => {
        const s = net.connect(Number(url.port), url.hostname, () => resolve(s));
        s.on('error', () => undefined);
      });
    const held = [await open(), await open()];
    try {
      const third = await open();
      const closed = await new Promise<boolean>((resolve) => {
        third.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
        let answered = false;
        third.on('data', () => (answered = true));
        third.on('close', () => resolve(!answered));
      });
      expect(closed).toBe(true);
      held.pop()!.destroy();
      const ok = await waitFor(
        async () => (await fetch(`${capped.baseUrl}/healthz`).catch(() => null))?.status === 200,
      );
      expect(ok).toBe(true);
    } finally {
      for (const s of held) s.destroy();
      await capped.close();
    }
    expect(() => loadConfig({ FLOTILLA_HEADERS_TIMEOUT_MS: '5' })).toThrow(/FLOTILLA_HEADERS_TIMEOUT_MS/);
  });

  it('listens with FLOTILLA_LISTEN_BACKLOG as the accept queue (4096 by default)', async () => {
    expect(loadConfig({}).listenBacklog).toBe(4096);
    for (const bad of ['0', '70000', 'many'])
      expect(() => loadConfig({ FLOTILLA_LISTEN_BACKLOG: bad })).toThrow(/FLOTILLA_LISTEN_BACKLOG/);
    const queued = await startTestServer({ testDb: server.testDb, env: { FLOTILLA_LISTEN_BACKLOG: '77' } });
    try {
      expect(await acceptQueueLength(new URL(queued.baseUrl).port)).toBe(77);
    } finally {
      await queued.close();
    }
  });
});
