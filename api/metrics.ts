/**
 * The server's Prometheus metrics: THE home of its prom-client registry and of every instrument
 * (created here only, one set per app so several servers in one process never share counters),
 * and `GET /metrics` in the Prometheus text format behind a bearer token (FLOTILLA_METRICS_TOKEN).
 */
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { bearerToken } from './fleet/tokens.ts';
import { ErrorCode } from './protocol/v1.ts';
import { sendError } from './rest/http.ts';

export const METRICS_PATH = '/metrics';

export interface ServerMetrics {
  registry: Registry;
  /** Buffered heartbeat rows the database refused; they were dropped so other agents' rows get stored. */
  heartbeatRowsRejected: Counter;
}

/** Create the registry and the instruments of one app (process metrics included). Never fails. */
export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const heartbeatRowsRejected = new Counter({
    name: 'flotilla_heartbeat_rows_rejected_total',
    help: 'Buffered heartbeat rows the database refused and the flush dropped.',
    registers: [registry],
  });
  return { registry, heartbeatRowsRejected };
}

function digest(value: string): Buffer {
  return crypto.createHash('sha256').update(value).digest();
}

/**
 * Answer `GET /metrics`: 404 (error shape) when no token is configured, 401 without the right
 * `Authorization: Bearer <token>`, else the registry in the Prometheus text format. Rejects only
 * when a collector fails (the caller answers 500).
 */
export async function serveMetrics(
  metrics: ServerMetrics,
  token: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (token === undefined)
    return sendError(res, 404, ErrorCode.notFound, 'metrics are not enabled on this server');
  const given = bearerToken(req.headers.authorization) ?? '';
  if (!crypto.timingSafeEqual(digest(given), digest(token))) {
    return sendError(
      res,
      401,
      ErrorCode.unauthenticated,
      'send Authorization: Bearer <FLOTILLA_METRICS_TOKEN>',
      {
        'www-authenticate': 'Bearer',
      },
    );
  }
  const body = await metrics.registry.metrics();
  res.writeHead(200, {
    'content-type': metrics.registry.contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
