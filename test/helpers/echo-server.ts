/**
 * A plain node:http server on port 0 for the HTTP client tests (the agent's and the simulator's):
 * `/hang` never answers, `/big` answers 2 KiB, anything else echoes method, URL, body and
 * content-length as JSON with a two-valued header. Every request's URL and peer are recorded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpRequest } from '../../agent/transport/http.ts';

export interface EchoServer {
  base: string;
  /** Each request as it arrived: its URL and the client's address and port. */
  peers: { url: string | undefined; address: string | undefined; port: number | undefined }[];
  close(): Promise<void>;
}

/** Start the echo server; close() ends its connections too. */
export async function startEchoServer(): Promise<EchoServer> {
  const peers: EchoServer['peers'] = [];
  const server = http.createServer((req, res) => {
    peers.push({ url: req.url, address: req.socket.remoteAddress, port: req.socket.remotePort });
    if (req.url === '/hang') return;
    if (req.url === '/big') return void res.end('x'.repeat(2048));
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': 'application/json', 'x-a': ['1', '2'] })
        .end(
          JSON.stringify({ method: req.method, url: req.url, body, length: req.headers['content-length'] }),
        ),
    );
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    peers,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A GET with no headers and a signal nobody aborts, with `extra` on top. */
export const requestInit = (extra: Partial<HttpRequest> = {}): HttpRequest => ({
  method: 'GET',
  headers: {},
  signal: new AbortController().signal,
  ...extra,
});
