/**
 * The agent protocol's route table: method + path → handler, on plain node:http (no Fetch
 * adapter, no GraphQL on this path). Maps FleetError codes to protocol statuses; an unknown route
 * is 404, a known path with another method 405; unexpected errors are logged and answered 500.
 */
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BASE_PATH, ErrorCode } from '../protocol/v1.ts';
import { FleetError, FleetErrorCode } from '../fleet/errors.ts';
import { HttpError, sendError } from './http.ts';
import { enrol } from './enrol.ts';
import { pollConfig } from './config.ts';
import { heartbeat } from './heartbeat.ts';
import { createAgentAction, downloadRelease } from './actions.ts';
import type { RestDeps } from './deps.ts';

const STATUS_BY_CODE: Partial<Record<string, number>> = {
  [FleetErrorCode.validationFailed]: 400,
  [FleetErrorCode.releaseNotFound]: 404,
  [FleetErrorCode.bootstrapTokenInvalid]: 401,
  [FleetErrorCode.bootstrapTokenExpired]: 401,
  [FleetErrorCode.bootstrapTokenExhausted]: 401,
  [FleetErrorCode.tokenRevoked]: 403,
  [FleetErrorCode.forbidden]: 403,
  [FleetErrorCode.groupNotFound]: 404,
  [FleetErrorCode.agentNotFound]: 404,
  [FleetErrorCode.conflict]: 409,
  [FleetErrorCode.invalidTransition]: 409,
};

type Handler = (
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  param: string,
  query: URLSearchParams,
) => Promise<void>;

interface Route {
  pattern: RegExp;
  methods: Partial<Record<string, Handler>>;
}

const SEGMENT = '([^/]+)';
const routes: Route[] = [
  { pattern: new RegExp(`^${BASE_PATH}/enrol$`), methods: { POST: (d, req, res) => enrol(d, req, res) } },
  {
    pattern: new RegExp(`^${BASE_PATH}/releases/${SEGMENT}$`),
    methods: { GET: (d, _req, res, v) => downloadRelease(d, res, v) },
  },
  { pattern: new RegExp(`^${BASE_PATH}/${SEGMENT}/config$`), methods: { GET: pollConfig } },
  {
    pattern: new RegExp(`^${BASE_PATH}/${SEGMENT}/heartbeat$`),
    methods: { POST: (d, req, res, id) => heartbeat(d, req, res, id) },
  },
  {
    pattern: new RegExp(`^${BASE_PATH}/${SEGMENT}/actions$`),
    methods: { POST: (d, req, res, id) => createAgentAction(d, req, res, id) },
  },
];

/** True when `pathname` belongs to the agent protocol (the app sends it here, nowhere else). */
export function isAgentRoute(pathname: string): boolean {
  return pathname === BASE_PATH || pathname.startsWith(`${BASE_PATH}/`);
}

/** Build the request handler for every agent protocol route. It never rejects. */
export function createAgentRouter(
  deps: RestDeps,
): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  return async (req, res, url) => {
    try {
      const { handler, param } = match(req.method ?? 'GET', url.pathname);
      await handler(deps, req, res, param, url.searchParams);
    } catch (error) {
      answerError(deps, req, res, error);
    }
  };
}

function match(method: string, pathname: string): { handler: Handler; param: string } {
  for (const route of routes) {
    const found = route.pattern.exec(pathname);
    if (!found) continue;
    const handler = route.methods[method];
    if (!handler) {
      throw new HttpError(405, ErrorCode.methodNotAllowed, `${method} is not allowed here`, {
        allow: Object.keys(route.methods).join(', '),
      });
    }
    return { handler, param: decodeURIComponent(found[1] ?? '') };
  }
  throw new HttpError(404, ErrorCode.notFound, `no route ${method} ${pathname}`);
}

function answerError(deps: RestDeps, req: IncomingMessage, res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError) {
    sendError(res, error.status, error.code, error.message, error.headers);
  } else if (error instanceof FleetError) {
    sendError(res, STATUS_BY_CODE[error.code] ?? 400, error.code, error.message);
  } else {
    const requestId = String(res.getHeader('x-request-id') ?? crypto.randomUUID());
    deps.log.error(
      { err: error, requestId, method: req.method, url: req.url?.split('?')[0] },
      'agent route failed',
    );
    sendError(res, 500, ErrorCode.internal, `internal error (request id ${requestId})`);
  }
}
