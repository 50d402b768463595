/**
 * The agent's HTTP client: a minimal fetch over node:http/https with keep-alive. Node's global
 * fetch (undici) costs about 10 MB of resident memory on its own, a fifth of the agent's budget,
 * for features the agent does not use. Responses are read whole (bodies are small: YAML, JSON, and
 * release bundles, capped at MAX_RESPONSE_BYTES).
 */
import http from 'node:http';
import https from 'node:https';

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

const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * Creates the fetch used in production. Each call rejects on network errors, on abort and on a
 * response larger than 64 MiB; any HTTP status resolves.
 */
export function createNodeFetch(): Fetch {
  const agents: Record<string, http.Agent> = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 4 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 4 }),
  };
  return (url, init) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const transport = target.protocol === 'https:' ? https : http;
      const headers = { ...init.headers };
      if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
      const req = transport.request(
        target,
        { method: init.method, headers, agent: agents[target.protocol], signal: init.signal },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) req.destroy(new Error('response too large'));
            else chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            const body = Buffer.concat(chunks);
            resolve({
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
            });
          });
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
}
