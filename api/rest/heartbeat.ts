/** `POST /api/v1/agents/:id/heartbeat`: liveness, versions, action results; answers pending actions. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeartbeatRequest, type HeartbeatResponse } from '../protocol/v1.ts';
import { plainHeartbeat } from './heartbeat-check.ts';
import { applyHeartbeat } from '../fleet/heartbeats.ts';
import { authenticateAgent, authenticateAgentCached } from './auth.ts';
import { readJson, requestBaseUrl, sendJson } from './http.ts';
import type { RestDeps } from './deps.ts';

/** Handle one heartbeat of agent `agentId`. */
export async function heartbeat(
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  agentId: string,
): Promise<void> {
  const agent =
    authenticateAgentCached(req, deps.directory, agentId) ??
    (await authenticateAgent(req, deps.directory, agentId));
  const body = await readJson(req, HeartbeatRequest, plainHeartbeat);
  const outcome = await applyHeartbeat(
    deps.ctx,
    deps.directory,
    deps.heartbeats,
    agent,
    body,
    requestBaseUrl(deps, req),
  );
  const response: HeartbeatResponse = { data: outcome };
  sendJson(res, 200, response);
}
