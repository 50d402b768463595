/**
 * `GET /api/v1/agents/:id/config?since=N`: 204 when the agent is up to date (answered from memory,
 * no database round trip), else 200 with the group's YAML for the agent's platform.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigQuery, ErrorCode, YAML_CONTENT_TYPE, headers } from '../protocol/v1.ts';
import { authenticateAgent } from './auth.ts';
import { HttpError, sendNoContent } from './http.ts';
import type { RestDeps } from './deps.ts';

/** Handle a config poll for agent `agentId`. */
export async function pollConfig(
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  agentId: string,
  query: URLSearchParams,
): Promise<void> {
  const agent = await authenticateAgent(req, deps.directory, agentId);
  const parsed = ConfigQuery.safeParse({
    since: query.get('since') ?? undefined,
    wait: query.get('wait') ?? undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HttpError(400, ErrorCode.invalidQuery, `${issue.path.join('.') || 'since'}: ${issue.message}`);
  }
  const version = await deps.directory.groupVersion(agent.groupId);
  if (version === null) throw new HttpError(403, ErrorCode.forbidden, 'the agent has no group: enrol again');
  if (!agent.configResetPending && parsed.data.since >= version) {
    sendNoContent(res);
    return;
  }
  const rendered = await deps.directory.renderedConfig(agent.groupId, version, agent.platform);
  if (!rendered)
    throw new Error(`no rendered config for group ${agent.groupId} v${version} ${agent.platform}`);
  if (agent.configResetPending) await clearConfigReset(deps, agent.id, agent.groupId);
  res.writeHead(200, {
    'content-type': `${YAML_CONTENT_TYPE}; charset=utf-8`,
    'content-length': Buffer.byteLength(rendered.yaml),
    [headers.configVersion]: String(rendered.version),
    [headers.configEtag]: rendered.etag,
  });
  res.end(rendered.yaml);
}

async function clearConfigReset(deps: RestDeps, agentId: string, groupId: string): Promise<void> {
  await deps.ctx.db.agent.updateMany({
    where: { id: agentId, configResetPending: true },
    data: { configResetPending: false },
  });
  deps.directory.clearConfigReset(agentId);
  deps.ctx.events.publish('agentUpdated', { agentId, groupId, change: 'config' });
}
