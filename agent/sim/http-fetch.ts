/**
 * A `fetch` for the simulator over node:http / node:https keep-alive agents. Many virtual agents
 * hold one long-poll each, and one loopback source address gives only ~28k ephemeral ports towards
 * one server port, so sockets can be spread over 127.0.0.1 … 127.0.0.N (any 127/8 address is
 * local on Linux). Each address gets several lanes (an http.Agent each), because an Agent finds a
 * finished socket in its list by a linear search. Bodies are buffered whole, which is all the
 * agent's transport needs; the answer is the part of a Response it reads.
 */
import http from 'node:http';
import https from 'node:https';

export interface SocketPool {
  /** Number of lanes: give each virtual agent one, e.g. `index mod lanes`. */
  readonly lanes: number;
  /** The fetch of lane `lane` (its source address is `lane mod addresses`). */
  fetchFor(lane: number): typeof fetch;
  /** Sockets open right now, connected or idle in the pools. */
  openSockets(): number;
  /** Close every socket. */
  destroy(): void;
}

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

/** Source addresses for `count` (127.0.0.1 … 127.0.0.count) or a comma-separated list. */
export function localAddresses(spec: string | number): string[] {
  if (typeof spec === 'number' || /^\d+$/.test(spec)) {
    const n = Math.max(1, Math.min(250, Number(spec)));
    return Array.from({ length: n }, (_, i) => `127.0.0.${i + 1}`);
  }
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * `lanesPerAddress` keep-alive pools for each of `addresses` (none given: one set of lanes, and
 * the OS picks the source address). Idle sockets are kept, however many: a burst of answered
 * long-polls would otherwise close hundreds only to open them again.
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
  const plain = bound.map((a) => new http.Agent(options(a)));
  const secure = bound.map((a) => new https.Agent(options(a)));
  const fetches = bound.map((_, i) => bufferedFetch(plain[i], secure[i]));
  const count = (agents: Record<string, unknown[] | undefined>) =>
    Object.values(agents).reduce((n, list) => n + (list?.length ?? 0), 0);
  return {
    lanes: fetches.length,
    fetchFor: (lane) => fetches[lane % fetches.length],
    openSockets: () => [...plain, ...secure].reduce((n, a) => n + count(a.sockets) + count(a.freeSockets), 0),
    destroy() {
      for (const agent of [...plain, ...secure]) agent.destroy();
    },
  };
}

function bufferedFetch(plain: http.Agent, secure: https.Agent): typeof fetch {
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url =
        typeof input === 'string' ? new URL(input) : input instanceof URL ? input : new URL(input.url);
      const signal = init.signal ?? undefined;
      if (signal?.aborted) return reject(abortError(signal));
      if (init.body != null && typeof init.body !== 'string')
        return reject(new TypeError('the simulator fetch sends string bodies only'));
      const isHttps = url.protocol === 'https:';
      const req = (isHttps ? https : http).request(url, {
        method: init.method ?? 'GET',
        headers: init.headers as Record<string, string> | undefined,
        agent: isHttps ? secure : plain,
      });
      const onAbort = () => req.destroy(abortError(signal));
      signal?.addEventListener('abort', onAbort, { once: true });
      const fail = (error: Error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      req.once('error', fail);
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', fail);
        res.once('end', () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(bufferedResponse(res, Buffer.concat(chunks)));
        });
      });
      req.end(init.body ?? undefined);
    });
}

/**
 * The part of a Response the agent's transport reads (status, headers.get, text, json,
 * arrayBuffer, body.cancel) over a buffered body. A WHATWG Response would cost a web stream and
 * a Headers copy per request: several times what this simulator's own bookkeeping costs.
 */
function bufferedResponse(res: http.IncomingMessage, bytes: Buffer): Response {
  const status = res.statusCode ?? 0;
  const header = (name: string): string | null => {
    const value = res.headers[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  };
  const text = async () => bytes.toString('utf8');
  const response = {
    status,
    statusText: res.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    headers: { get: header, has: (name: string) => header(name) !== null },
    body: NULL_BODY_STATUS.has(status) ? null : { cancel: async () => undefined },
    text,
    json: async (): Promise<unknown> => JSON.parse(await text()),
    arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  };
  return response as unknown as Response;
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
}
