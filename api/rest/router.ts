/**
 * The agent protocol's route table: method + path → handler, on plain node:http (no Fetch
 * adapter, no GraphQL on this path). An unknown route
 * is 404, a known path with another method 405; failures are answered by failure.ts. Dispatch is
 * synchronous: a handler that can answer from memory (the 204 poll) costs no promise.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BASE_PATH, ErrorCode } from '../protocol/v1.ts';
import { isStorableText } from '../protocol/storable.ts';
import { HttpError } from './http.ts';
import { sendFailure } from './failure.ts';
import { enrol } from './enrol.ts';
import { pollConfig } from './config.ts';
import { heartbeat } from './heartbeat.ts';
import { createAgentAction, downloadRelease, serveCandidate, uploadDiagnostics } from './actions.ts';
import type { RestDeps } from './deps.ts';

type Handler = (
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  param: string,
  query: string,
  /** The second path parameter (an action id), for routes that have one. */
  param2: string,
) => void | Promise<void>;

interface Route {
  /** The route's label in /metrics. */
  name: string;
  pattern: RegExp;
  methods: Partial<Record<string, Handler>>;
}

const SEGMENT = '([^/]+)';
/** Longest agent id or release version a path may name. */
const MAX_PATH_PARAM_LENGTH = 128;
const routes: Route[] = [
  {
    name: 'agent_enrol',
    pattern: new RegExp(`^${BASE_PATH}/enrol$`),
    methods: { POST: (d, req, res) => enrol(d, req, res) },
  },
  {
    name: 'agent_release',
    pattern: new RegExp(`^${BASE_PATH}/releases/${SEGMENT}$`),
    methods: { GET: (d, _req, res, v) => downloadRelease(d, res, v) },
  },
  {
    name: 'agent_config',
    pattern: new RegExp(`^${BASE_PATH}/${SEGMENT}/config$`),
    methods: { GET: pollConfig },
  },
  {
    name: 'agent_heartbeat',
    pattern: new RegExp(`^${BASE_PATH}/${SEGMENT}/heartbeat$`),
    methods: { POST: (d, req, res, id) => heartbeat(d, req, res, id) },
  },
  {
    name: 'agent_actions',
    pattern: new RegExp(`^${BASE_PATH}/${SEGMENT}/actions$`),
    methods: { POST: (d, req, res, id) => createAgentAction(d, req, res, id) },
  },
  {
    name: 'agent_action_candidate',
    pattern: new RegExp(`^${BASE_PATH}/${SEGMENT}/actions/${SEGMENT}/candidate$`),
    methods: { GET: (d, req, res, id, _q, actionId) => serveCandidate(d, req, res, id, actionId) },
  },
  {
    name: 'agent_action_diagnostics',
    pattern: new RegExp(`^${BASE_PATH}/${SEGMENT}/actions/${SEGMENT}/diagnostics$`),
    methods: { POST: (d, req, res, id, _q, actionId) => uploadDiagnostics(d, req, res, id, actionId) },
  },
];

/** The /metrics label of an agent protocol path: its route's name, or `agent_unknown`. */
export function agentRouteName(pathname: string): string {
  for (const route of routes) if (route.pattern.test(pathname)) return route.name;
  return 'agent_unknown';
}

/** True when `pathname` belongs to the agent protocol (the app sends it here, nowhere else). */
export function isAgentRoute(pathname: string): boolean {
  return pathname === BASE_PATH || pathname.startsWith(`${BASE_PATH}/`);
}

/**
 * Build the request handler for every agent protocol route (`query` is the raw query string); it
 * returns the route's /metrics label (see agentRouteName). It never throws; failures, synchronous
 * or not, are answered by failure.ts.
 */
export function createAgentRouter(
  deps: RestDeps,
): (req: IncomingMessage, res: ServerResponse, pathname: string, query: string) => string {
  const fail = (res: ServerResponse, req: IncomingMessage) => (error: unknown) =>
    sendFailure(res, error, deps.log, req);
  return (req, res, pathname, query) => {
    let name = 'agent_unknown';
    try {
      const method = req.method ?? 'GET';
      for (const route of routes) {
        const found = route.pattern.exec(pathname);
        if (!found) continue;
        name = route.name;
        const handler = route.methods[method];
        if (!handler) {
          throw new HttpError(405, ErrorCode.methodNotAllowed, `${method} is not allowed here`, {
            allow: Object.keys(route.methods).join(', '),
          });
        }
        const second = found[2] === undefined ? '' : decodeSegment(found[2]);
        const pending = handler(deps, req, res, decodeSegment(found[1] ?? ''), query, second);
        if (pending !== undefined) pending.catch(fail(res, req));
        return name;
      }
      throw new HttpError(404, ErrorCode.notFound, `no route ${method} ${pathname}`);
    } catch (error) {
      sendFailure(res, error, deps.log, req);
    }
    return name;
  };
}

/** A path segment, %-decoded; 400 invalid_path when the escapes are malformed or decode to unstorable text. */
function decodeSegment(segment: string): string {
  // The common case, no escapes: the request line holds no NUL (Node's parser refuses it) and
  // decodes from latin1, so it has no surrogates either; only the length is left to check.
  if (!segment.includes('%') && segment.length <= MAX_PATH_PARAM_LENGTH) return segment;
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, ErrorCode.invalidPath, 'the path has a malformed %-escape');
  }
  if (!isStorableText(decoded) || decoded.length > MAX_PATH_PARAM_LENGTH) {
    throw new HttpError(400, ErrorCode.invalidPath, 'the path names an id or version that cannot exist');
  }
  return decoded;
}
