/**
 * `GET /api/v1/agents/:id/config?since=N[&wait=S]`: 204 when the agent is up to date (answered from
 * memory, no database round trip), else 200 with the group's YAML for the agent's platform. With
 * `wait`, an up-to-date poll is held until the version moves, the agent is moved or revoked, S
 * seconds pass (204) or the server stops (204). Every answer advertises `x-long-poll-max`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigQuery, ErrorCode, LONG_POLL_MAX_SECONDS, YAML_CONTENT_TYPE, headers } from '../protocol/v1.ts';
import type { AgentEntry } from '../fleet/agent-directory.ts';
import { acknowledgeConfigReset } from '../fleet/agents.ts';
import { authenticateAgent } from './auth.ts';
import { HttpError, sendNoContent } from './http.ts';
import { sendFailure } from './failure.ts';
import type { RestDeps } from './deps.ts';

const ADVERTISE = { [headers.longPollMax]: String(LONG_POLL_MAX_SECONDS) };

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
  await answer(deps, req, res, agent, parsed.data.since, parsed.data.wait);
}

async function answer(
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  agent: AgentEntry,
  since: number,
  wait: number | undefined,
): Promise<void> {
  const version = await deps.directory.groupVersion(agent.groupId);
  if (version === null) throw new HttpError(403, ErrorCode.forbidden, 'the agent has no group: enrol again');
  if (!agent.configResetPending && since >= version) {
    if (wait && deps.longPolls.accepting) {
      deps.longPolls.hold(agent.id, agent.groupId, since, wait, res, (reason) => {
        if (reason !== 'changed') return sendNoContent(res, ADVERTISE);
        resumeAfterChange(deps, req, res, agent.id, since).catch((error: unknown) =>
          sendFailure(res, error, deps.log, req),
        );
      });
      return;
    }
    sendNoContent(res, ADVERTISE);
    return;
  }
  const rendered = await deps.directory.renderedConfig(agent.groupId, version, agent.platform);
  if (!rendered)
    throw new Error(`no rendered config for group ${agent.groupId} v${version} ${agent.platform}`);
  if (agent.configResetPending)
    await acknowledgeConfigReset(deps.ctx, deps.directory, agent.id, agent.groupId);
  res.writeHead(200, {
    'content-type': `${YAML_CONTENT_TYPE}; charset=utf-8`,
    'content-length': Buffer.byteLength(rendered.yaml),
    [headers.configVersion]: String(rendered.version),
    [headers.configEtag]: rendered.etag,
    ...ADVERTISE,
  });
  res.end(rendered.yaml);
}

/** A held poll woke because something changed: re-read the agent (moved? revoked?) and answer now. */
async function resumeAfterChange(
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  agentId: string,
  since: number,
) {
  const agent = deps.directory.cachedAgent(agentId);
  if (!agent) throw new HttpError(403, ErrorCode.forbidden, 'unknown agent token: enrol again');
  if (agent.revoked) throw new HttpError(403, ErrorCode.tokenRevoked, 'this agent was revoked: enrol again');
  await answer(deps, req, res, agent, since, undefined);
}
