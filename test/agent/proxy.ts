/**
 * A forwarding HTTP proxy in front of the real test server, on a port that stays the same while
 * it is taken down and brought back: "server down" for the agent, and a log of the requests the
 * agent makes (to see that it stops asking). It forwards everything unchanged, unless an answer
 * hook is given: it then sees each complete answer and may drop it (the connection is cut instead).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';

export interface Proxy {
  url: string;
  /** Method and path (without query) of every forwarded request, in order. */
  requests: string[];
  /** Stop listening and drop open connections: the agent gets ECONNREFUSED. */
  down(): Promise<void>;
  /** Listen again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** Called with each complete answer (path without query); 'drop' cuts the connection instead. */
export type AnswerHook = (answer: { path: string; status: number; body: string }) => 'forward' | 'drop';

/** Starts a proxy to `target` (e.g. the test server's baseUrl) on 127.0.0.1, port 0. */
export async function startProxy(target: string, onAnswer?: AnswerHook): Promise<Proxy> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${(req.url ?? '').split('?')[0]}`);
    const upstream = http.request(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: req.headers },
      (answer) => {
        if (!onAnswer) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          const path = (req.url ?? '').split('?')[0];
          if (onAnswer({ path, status: answer.statusCode ?? 502, body: body.toString('utf8') }) === 'drop') {
            res.destroy();
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(body);
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const down = async () => {
    const closed = new Promise((resolve) => server.close(resolve));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    down,
    up: () => listen(port),
    close: () => (server.listening ? down() : Promise.resolve()),
  };
}
