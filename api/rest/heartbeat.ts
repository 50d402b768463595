/** `POST /api/v1/agents/:id/heartbeat`: liveness, versions, action results, telemetry; answers pending actions. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeartbeatRequest, type HeartbeatResponse } from '../protocol/v1.ts';
import { parseTelemetry, type ParsedHeartbeat } from '../protocol/telemetry.ts';
import { plainHeartbeat } from './heartbeat-check.ts';
import { applyHeartbeat } from '../fleet/heartbeat-apply.ts';
import { authenticateAgent, authenticateAgentCached } from './auth.ts';
import { readJson, requestBaseUrl, sendJson } from './http.ts';
import type { RestDeps } from './deps.ts';

/**
 * Handle one heartbeat of agent `agentId`. Its telemetry is parsed part by part: what is malformed
 * is dropped and listed in `rejectedTelemetry`, and the rest of the heartbeat applies regardless.
 */
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
  const { telemetry, rejected } = parseTelemetry(body.telemetry);
  if (rejected.length > 0) deps.log.debug({ agentId, rejected }, 'heartbeat telemetry parts dropped');
  // Without telemetry the body is already a parsed heartbeat: no copy.
  const parsed: ParsedHeartbeat =
    body.telemetry === undefined ? (body as ParsedHeartbeat) : { ...body, telemetry };
  const applied = applyHeartbeat({
    ctx: deps.ctx,
    directory: deps.directory,
    buffer: deps.heartbeats,
    agent,
    body: parsed,
    baseUrl: requestBaseUrl(deps, req),
  });
  const outcome = applied instanceof Promise ? await applied : applied;
  const response: HeartbeatResponse = {
    data: rejected.length > 0 ? { ...outcome, rejectedTelemetry: rejected } : outcome,
  };
  sendJson(res, 200, response);
}
