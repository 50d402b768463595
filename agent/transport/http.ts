/**
 * THE HTTP client of the agent: a minimal fetch over node:http/https
 * keep-alive agents. Node's global fetch (undici) costs about 10 MB of resident memory on its own,
 * a fifth of the agent's budget, and a WHATWG Response per request costs a web stream and a
 * Headers copy, several times what a virtual agent's own bookkeeping costs. Responses are read
 * whole into a lean buffered answer (bodies are small: YAML, JSON, and release bundles, capped).
 *
 * The agent uses one pair of keep-alive agents. (The simulator runs the same transport over
 * undici, agent/sim/socket-pool.ts: it shares the machine with the server it measures.)
 * node:https (and with it tls) is loaded on the first https request only: it costs about 1.5 MB
 * of resident memory, for nothing when the server is reached over plain http.
 */
import http from 'node:http';
import type https from 'node:https';
import { createRequire } from 'node:module';

export interface HttpResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

/** The subset of fetch the transport uses; the global fetch satisfies it too. */
export type Fetch = (url: string, init: HttpRequest) => Promise<HttpResponse>;

// import.meta.url in the ES module bundle; __filename in the single executable's CommonJS script.
const requireBuiltin = createRequire(import.meta.url ?? __filename);
let httpsModule: typeof https | undefined;
const loadHttps = (): typeof https => (httpsModule ??= requireBuiltin('node:https') as typeof https);

export interface NodeFetchOptions {
  /** Larger responses are rejected; default 64 MiB. */
  maxResponseBytes?: number;
}

/** Answers larger than this are refused unless a caller sets its own limit (a release bundle fits). */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * Creates a fetch over one pair of keep-alive agents (at most 4 sockets per server; the https one
 * made on first use). Each call rejects on network errors, on abort (with the signal's reason) and
 * on a response larger than the limit; any HTTP status resolves.
 */
export function createNodeFetch(options: NodeFetchOptions = {}): Fetch {
  const keepAlive: http.AgentOptions = { keepAlive: true, maxSockets: 4 };
  const plainAgent = new http.Agent(keepAlive);
  let secureAgent: https.Agent | undefined;
  const maxBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  return (url, init) =>
    new Promise((resolve, reject) => {
      const { signal } = init;
      if (signal.aborted) return reject(abortError(signal));
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      const headers = { ...init.headers };
      if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
      const req = (secure ? loadHttps() : http).request(target, {
        method: init.method,
        headers,
        agent: secure ? (secureAgent ??= new (loadHttps().Agent)(keepAlive)) : plainAgent,
      });
      const settle = settleOnce(signal, () => void req.destroy(abortError(signal)));
      const fail = (error: Error): void => settle(() => reject(error));
      req.on('error', fail);
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= maxBytes) return void chunks.push(chunk);
          fail(new Error('response too large'));
          req.destroy();
        });
        res.on('error', fail);
        res.once('end', () =>
          settle(() => resolve(bufferedResponse(res.statusCode ?? 0, res.headers, Buffer.concat(chunks)))),
        );
      });
      req.end(init.body);
    });
}

/** The part of a Response the transport reads, over a buffered body (`headers` as node:http parses them). */
export function bufferedResponse(
  status: number,
  headers: http.IncomingHttpHeaders,
  body: Buffer,
): HttpResponse {
  return {
    status,
    headers: {
      get: (name) => {
        const value = headers[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(', ') : String(value);
      },
    },
    text: async () => body.toString('utf8'),
    json: async () => JSON.parse(body.toString('utf8')),
    arrayBuffer: async () =>
      body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
  };
}

/**
 * Run `onAbort` when `signal` aborts, until the returned `settle` first runs (it runs `finish`
 * once and stops listening; later calls do nothing): a request's one way to resolve or reject.
 */
export function settleOnce(signal: AbortSignal, onAbort: () => void): (finish: () => void) => void {
  signal.addEventListener('abort', onAbort, { once: true });
  let settled = false;
  return (finish) => {
    if (settled) return;
    settled = true;
    signal.removeEventListener('abort', onAbort);
    finish();
  };
}

/** The error a request aborted by `signal` rejects with: its reason, else an AbortError. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
}
