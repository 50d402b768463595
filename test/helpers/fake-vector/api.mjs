// Vector's API health endpoint, served while `api.enabled: true`: GET /health answers 200 {"ok":true}
// while running and 503 {"ok":false} once shutdown has begun; HEAD too from 0.55. Anything else is 404
// (the GraphQL API of <= 0.54 is not modelled).
import { createServer } from 'node:http';
import { versionAtLeast } from './version.mjs';

export const DEFAULT_API_ADDRESS = '127.0.0.1:8686';

/**
 * Starts the API on `address` ("host:port" or "[v6]:port"). `isRunning()` picks 200 or 503; `onListening`
 * and `onError` report the outcome. Returns a handle with `close()`.
 */
export function startApi(address, { isRunning, onListening, onError }) {
  const split = address.lastIndexOf(':');
  const host = address.slice(0, split).replace(/^\[(.*)\]$/, '$1');
  const methods = versionAtLeast('0.55.0') ? ['GET', 'HEAD'] : ['GET'];
  const server = createServer((request, response) => {
    if (request.url?.split('?')[0] !== '/health' || !methods.includes(request.method ?? '')) {
      response.writeHead(404).end();
      return;
    }
    const ok = isRunning();
    response.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    response.end(request.method === 'HEAD' ? undefined : JSON.stringify({ ok }));
  });
  server.on('error', onError);
  server.listen(Number(address.slice(split + 1)), host, onListening);
  return {
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}
