/**
 * Memory per connection for `npm run bench`, always after full garbage collections (heap-probe.mjs,
 * preloaded into the measured process), so a figure counts live objects and the pages the process
 * keeps, not whatever garbage the heap holds at that moment. The floor for a held long-poll is a
 * bare node:http server holding the same request (baseline-server.mjs): what any Node server pays
 * for one open socket with one request in flight, before any code of ours runs.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, leafPid, startBaseline } from './lib.ts';

/** Issue 15's target for the server's memory per connected agent, all-in (RSS). */
export const AGENT_MEMORY_TARGET_BYTES = 10_000;

export interface MemoryReading {
  /** V8 heap in use (live objects after the collections). */
  heap: number;
  rss: number;
}

/** Growth per connection between two readings. */
export interface PerConnection {
  connections: number;
  heapBytes: number;
  rssBytes: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A heap probe for one process: the environment that preloads it and a reader of its figures. */
export interface HeapProbe {
  env: Record<string, string>;
  /** Signal the process, wait for its line, resolve its memory after two full collections. */
  read(pid: number): Promise<MemoryReading>;
  remove(): Promise<void>;
}

/** A fresh heap probe (its own output file). */
export function heapProbe(name: string): HeapProbe {
  const file = path.join(os.tmpdir(), `flotilla-bench-heap-${name}-${process.pid}.txt`);
  const lines = async () =>
    (await fs.readFile(file, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
  return {
    env: {
      NODE_OPTIONS: `--import ${pathToFileURL(path.join(ROOT, 'test/bench/heap-probe.mjs')).href}`,
      BENCH_HEAP_FILE: file,
    },
    async read(pid) {
      const before = (await lines()).length;
      process.kill(pid, 'SIGUSR2');
      const deadline = Date.now() + 30_000;
      for (let seen = await lines(); Date.now() < deadline; seen = await lines()) {
        if (seen.length > before) {
          const [heap, rss] = seen[seen.length - 1].split(' ').map(Number);
          return { heap, rss };
        }
        await sleep(100);
      }
      throw new Error('the measured process did not report its memory');
    },
    remove: () => fs.rm(file, { force: true }),
  };
}

/** The growth from `before` to `after`, per connection. */
export function perConnection(
  before: MemoryReading,
  after: MemoryReading,
  connections: number,
): PerConnection {
  return {
    connections,
    heapBytes: Math.round((after.heap - before.heap) / connections),
    rssBytes: Math.round((after.rss - before.rss) / connections),
  };
}

/**
 * An agent's held config poll shaped like the simulator's: the same headers in the same order, a
 * token of the same length (AGT_ and 43 characters).
 */
function heldPoll(port: number, i: number): string {
  const id = `0f6e2c1a-1111-4222-8333-${String(i).padStart(12, '0')}`;
  return (
    `GET /api/v1/agents/${id}/config?since=1&wait=50 HTTP/1.1\r\n` +
    `host: 127.0.0.1:${port}\r\n` +
    'connection: keep-alive\r\n' +
    'user-agent: flotilla-sim/0.1.0\r\n' +
    `authorization: Bearer AGT_${'x'.repeat(35)}${String(i).padStart(8, '0')}\r\n` +
    'accept: application/yaml\r\n\r\n'
  );
}

/**
 * The bare floor: a node:http server (baseline-server.mjs) holding `count` such polls, one per
 * keep-alive socket, as the Flotilla server holds an idle fleet's.
 */
export async function benchBareHeldMemory(count: number): Promise<PerConnection> {
  const probe = heapProbe('bare');
  const server = await startBaseline(probe.env);
  const pid = await leafPid(server.child.pid as number);
  const sockets: net.Socket[] = [];
  try {
    const held = async () => {
      const res = await fetch(`http://127.0.0.1:${server.port}/held`);
      return ((await res.json()) as { held: number }).held;
    };
    await sleep(1000);
    const before = await probe.read(pid);
    for (let i = 0; i < count; i++) {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.once('connect', () => socket.write(heldPoll(server.port, i)));
      sockets.push(socket);
      if (i % 500 === 499) await sleep(50);
    }
    const deadline = Date.now() + 60_000;
    while ((await held()) < count) {
      if (Date.now() > deadline)
        throw new Error(`the bare server holds only ${await held()} of ${count} polls`);
      await sleep(200);
    }
    return perConnection(before, await probe.read(pid), count);
  } finally {
    for (const socket of sockets) socket.destroy();
    await server.stop();
    await probe.remove();
  }
}
