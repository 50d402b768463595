/**
 * `POST /api/v1/agents/:id/actions` (API token, editor or admin): queue one action for an agent,
 * as the reference describes. `GET /api/v1/agents/releases/:version`: download an agent release.
 * With the agent's own token: `GET :id/actions/:actionId/candidate` (a validate_config candidate,
 * secrets resolved) and `POST :id/actions/:actionId/diagnostics` (a collect_diagnostics bundle).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, YAML_CONTENT_TYPE, headers } from '../protocol/v1.ts';
import {
  CreateActionRequest,
  DiagnosticsBundle,
  MAX_DIAGNOSTICS_BYTES,
  type CreateActionResponse,
  type DiagnosticsUploadResponse,
} from '../protocol/actions.ts';
import { createActions } from '../fleet/actions.ts';
import { candidateFor } from '../fleet/action-delivery.ts';
import { storeDiagnostics } from '../fleet/diagnostics.ts';
import { authenticateAgent } from './auth.ts';
import { apiTokenActorFromBearer } from '../fleet/api-tokens.ts';
import { getRelease } from '../fleet/releases.ts';
import { roleAtLeast } from '../fleet/users.ts';
import { HttpError, readJson, sendJson } from './http.ts';
import type { RestDeps } from './deps.ts';

/** Handle an operator's request to queue an action for agent `agentId`. */
export async function createAgentAction(
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  agentId: string,
): Promise<void> {
  const actor = await apiTokenActorFromBearer(deps.ctx, req.headers.authorization);
  if (!actor)
    throw new HttpError(401, ErrorCode.unauthenticated, 'this route takes a valid API (FLT_) token');
  if (!roleAtLeast(actor.role, 'editor'))
    throw new HttpError(403, ErrorCode.forbidden, 'creating actions needs the editor role');
  const body = await readJson(req, CreateActionRequest);
  const { actions } = await createActions(deps.ctx, actor, {
    agentIds: [agentId],
    type: body.type,
    payload: body.payload,
    offlinePolicy: body.offlinePolicy,
  });
  const response: CreateActionResponse = {
    data: { id: actions[0].id, status: actions[0].status, type: actions[0].type },
  };
  sendJson(res, 201, response);
}

/** Serve the bundle of agent release `version` with its SHA-256 in a header. */
export async function downloadRelease(deps: RestDeps, res: ServerResponse, version: string): Promise<void> {
  const release = await getRelease(deps.ctx, version);
  res.writeHead(200, {
    'content-type': 'text/javascript; charset=utf-8',
    'content-length': release.size,
    [headers.releaseSha256]: release.sha256,
    'cache-control': 'public, max-age=31536000, immutable',
  });
  res.end(Buffer.from(release.bundle));
}

/**
 * Serve the candidate config of validate_config action `actionId` to its agent: YAML with secret
 * references resolved (never stored or logged) and `x-config-etag: sha256:<hex>` of the bytes.
 */
export async function serveCandidate(
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  agentId: string,
  actionId: string,
): Promise<void> {
  const agent = await authenticateAgent(req, deps.directory, agentId);
  const body = Buffer.from(await candidateFor(deps.ctx, agent, actionId), 'utf8');
  res.writeHead(200, {
    'content-type': `${YAML_CONTENT_TYPE}; charset=utf-8`,
    'content-length': body.length,
    [headers.configEtag]: `sha256:${createHash('sha256').update(body).digest('hex')}`,
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** Store the diagnostics bundle an agent uploads for its collect_diagnostics action `actionId`. */
export async function uploadDiagnostics(
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  agentId: string,
  actionId: string,
): Promise<void> {
  const agent = await authenticateAgent(req, deps.directory, agentId);
  const bundle = await readJson(req, DiagnosticsBundle, undefined, MAX_DIAGNOSTICS_BYTES);
  const stored = await storeDiagnostics(deps.ctx, agent, actionId, bundle);
  const response: DiagnosticsUploadResponse = { data: { id: stored.id, sizeBytes: stored.sizeBytes } };
  sendJson(res, 201, response);
}
