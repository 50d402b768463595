/**
 * THE HTTP client of the agent and of the simulator: a minimal fetch over node:http/https
 * keep-alive agents. Node's global fetch (undici) costs about 10 MB of resident memory on its own,
 * a fifth of the agent's budget, and a WHATWG Response per request costs a web stream and a
 * Headers copy, several times what a virtual agent's own bookkeeping costs. Responses are read
 * whole into a lean buffered answer (bodies are small: YAML, JSON, and release bundles, capped).
 *
 * The agent uses one pair of keep-alive agents; the simulator uses a SocketPool: many lanes (an
 * http.Agent finds a free socket by a linear search), each optionally bound to a source address,
 * because one loopback source address gives only ~28k ephemeral ports towards one server port.
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

/** The keep-alive agents requests go through, one per protocol; the https one is made on first use. */
export interface KeepAliveAgents {
  http: http.Agent;
  https(): https.Agent;
  /** The agents made so far. */
  made(): http.Agent[];
}

// import.meta.url in the ES module bundle; __filename in the single executable's CommonJS script.
const requireBuiltin = createRequire(import.meta.url ?? __filename);
let httpsModule: typeof https | undefined;
const loadHttps = (): typeof https => (httpsModule ??= requireBuiltin('node:https') as typeof https);

function keepAliveAgents(options: http.AgentOptions): KeepAliveAgents {
  const plain = new http.Agent(options);
  let secure: https.Agent | undefined;
  return {
    http: plain,
    https: () => (secure ??= new (loadHttps().Agent)(options)),
    made: () => (secure ? [plain, secure] : [plain]),
  };
}

export interface NodeFetchOptions {
  /** Default: one pair of keep-alive agents with at most 4 sockets per server. */
  agents?: KeepAliveAgents;
  /** Larger responses are rejected; default 64 MiB. */
  maxResponseBytes?: number;
}

const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * Creates a fetch over node:http/https. Each call rejects on network errors, on abort (with the
 * signal's reason) and on a response larger than the limit; any HTTP status resolves.
 */
export function createNodeFetch(options: NodeFetchOptions = {}): Fetch {
  const agents = options.agents ?? keepAliveAgents({ keepAlive: true, maxSockets: 4 });
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
        agent: secure ? agents.https() : agents.http,
      });
      const onAbort = (): void => void req.destroy(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      let settled = false;
      const settle = (finish: () => void): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        finish();
      };
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
        res.once('end', () => settle(() => resolve(bufferedResponse(res, Buffer.concat(chunks)))));
      });
      req.end(init.body);
    });
}

/** Keep-alive lanes for the simulator; see createSocketPool. */
export interface SocketPool {
  /** Number of lanes: give each virtual agent one, e.g. `index mod lanes`. */
  readonly lanes: number;
  /** The fetch of lane `lane` (its source address is `lane mod addresses`). */
  fetchFor(lane: number): Fetch;
  /** Sockets open right now, connected or idle in the pools. */
  openSockets(): number;
  /** Close every socket. */
  destroy(): void;
}

/**
 * `lanesPerAddress` keep-alive lanes for each of `addresses` (none given: one set of lanes, and
 * the OS picks the source address). Idle sockets are kept, however many: a burst of answered
 * long-polls would otherwise close hundreds only to open them again. Never throws; binding
 * errors surface as rejected requests.
 */
export function createSocketPool(addresses: string[], lanesPerAddress = 1): SocketPool {
  const sources = addresses.length > 0 ? addresses : [undefined];
  const bound = Array.from(
    { length: sources.length * lanesPerAddress },
    (_, i) => sources[i % sources.length],
  );
  const options = (localAddress: string | undefined): http.AgentOptions => ({
    keepAlive: true,
    maxSockets: Infinity,
    maxFreeSockets: 1_000_000,
    scheduling: 'lifo',
    ...(localAddress ? { localAddress, family: 4 } : {}),
  });
  const lanes = bound.map((a) => keepAliveAgents(options(a)));
  const fetches = lanes.map((agents) => createNodeFetch({ agents }));
  const all = (): http.Agent[] => lanes.flatMap((l) => l.made());
  const count = (agents: Record<string, unknown[] | undefined>): number =>
    Object.values(agents).reduce((n, list) => n + (list?.length ?? 0), 0);
  return {
    lanes: fetches.length,
    fetchFor: (lane) => fetches[lane % fetches.length],
    openSockets: () => all().reduce((n, a) => n + count(a.sockets) + count(a.freeSockets), 0),
    destroy() {
      for (const agent of all()) agent.destroy();
    },
  };
}

/** The part of a Response the transport reads, over a buffered body. */
function bufferedResponse(res: http.IncomingMessage, body: Buffer): HttpResponse {
  return {
    status: res.statusCode ?? 0,
    headers: {
      get: (name) => {
        const value = res.headers[name.toLowerCase()];
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

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
}
