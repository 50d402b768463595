/**
 * `GET /api/v1/agents/:id/config?since=N[&wait=S]`: 204 when the agent has its desired version
 * (answered from memory, no database round trip), else 200 with that version's YAML for the
 * agent's platform. The desired version is the agent's config pin (a rollout's stage or revert),
 * else its group's baseline: a pinned agent is up to date only when `since` equals its pin (a 200
 * may carry an older version than `since`), an unpinned one when `since` >= the baseline. With
 * `wait`, an up-to-date poll is held until its desired version moves, the agent is moved or
 * revoked, about S seconds pass (204) or the server stops (204). Every answer advertises
 * `x-long-poll-max`; every 200 is noted as delivered (written with the next heartbeat flush).
 *
 * Hot path: when the directory knows the token, the group's version and (for a 200) the rendered
 * config, the poll is answered synchronously, without a promise; otherwise the same rules run with
 * the database behind them. Every 200 of one rendered config is sent from one Buffer and one header
 * object, so the fleet's held polls woken by a publish share them.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import {
  ErrorCode,
  LONG_POLL_MAX_SECONDS,
  YAML_CONTENT_TYPE,
  headers,
  type ConfigQuery,
} from '../protocol/v1.ts';
import type { AgentEntry, RenderedEntry } from '../fleet/agent-directory.ts';
import { acknowledgeConfigReset } from '../fleet/agents.ts';
import { authenticateAgent, authenticateAgentCached } from './auth.ts';
import { HttpError } from './http.ts';
import { sendFailure } from './failure.ts';
import type { RestDeps } from './deps.ts';
import type { HeldPoll, WakeReason } from './long-poll.ts';
import { parseConfigQuery } from './poll-query.ts';

const ADVERTISE: OutgoingHttpHeaders = { [headers.longPollMax]: String(LONG_POLL_MAX_SECONDS) };

interface ConfigAnswer {
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/** The encoded answer of each rendered config (dropped with the directory's cache entry). */
const answers = new WeakMap<RenderedEntry, ConfigAnswer>();

/** Handle a config poll for agent `agentId`; returns a promise only when the database is needed. */
export function pollConfig(
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  agentId: string,
  rawQuery: string,
): void | Promise<void> {
  const cached = authenticateAgentCached(req, deps.directory, agentId);
  if (cached === undefined) return pollWithDatabase(deps, req, res, agentId, rawQuery);
  const query = parseConfigQuery(rawQuery);
  if (answerFromMemory(deps, req, res, cached, query.since, query.wait)) return;
  return answerWithDatabase(deps, req, res, cached, query);
}

async function pollWithDatabase(
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  agentId: string,
  rawQuery: string,
): Promise<void> {
  const agent = await authenticateAgent(req, deps.directory, agentId);
  await answerWithDatabase(deps, req, res, agent, parseConfigQuery(rawQuery));
}

async function answerWithDatabase(
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  agent: AgentEntry,
  query: ConfigQuery,
): Promise<void> {
  const baseline = await deps.directory.groupVersion(agent.groupId);
  if (baseline === null) throw new HttpError(403, ErrorCode.forbidden, 'the agent has no group: enrol again');
  const pin = deps.directory.pinnedVersion(agent.id, agent.groupId);
  if (upToDate(agent, query.since, baseline, pin)) return void answerUpToDate(deps, req, res, agent, query);
  const version = pin ?? baseline;
  const rendered = await deps.directory.renderedConfig(agent.groupId, version, agent.platform);
  if (!rendered)
    throw new Error(`no rendered config for group ${agent.groupId} v${version} ${agent.platform}`);
  if (agent.configResetPending)
    await acknowledgeConfigReset(deps.ctx, deps.directory, agent.id, agent.groupId);
  sendConfig(deps, res, agent, rendered);
}

/** Answers from the directory alone when it can; false when the database is needed. */
function answerFromMemory(
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  agent: AgentEntry,
  since: number,
  wait: number | undefined,
): boolean {
  const baseline = deps.directory.cachedGroupVersion(agent.groupId);
  if (baseline === undefined) return false;
  const pin = deps.directory.pinnedVersion(agent.id, agent.groupId);
  if (upToDate(agent, since, baseline, pin)) {
    answerUpToDate(deps, req, res, agent, { since, wait });
    return true;
  }
  if (agent.configResetPending) return false;
  const rendered = deps.directory.cachedRenderedConfig(agent.groupId, pin ?? baseline, agent.platform);
  if (rendered === undefined) return false;
  sendConfig(deps, res, agent, rendered);
  return true;
}

/** The wire rule: a pinned agent needs exactly its pin, an unpinned one the baseline or newer. */
function upToDate(agent: AgentEntry, since: number, baseline: number, pin: number | undefined): boolean {
  if (agent.configResetPending) return false;
  return pin === undefined ? since >= baseline : since === pin;
}

/** 204 now, or hold the poll when the agent asked to wait. */
function answerUpToDate(
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  agent: AgentEntry,
  query: ConfigQuery,
): void {
  if (query.wait && deps.longPolls.accepting)
    deps.longPolls.hold(agent.id, agent.groupId, query.since, query.wait, req, res);
  else sendUnchanged(res);
}

function sendUnchanged(res: ServerResponse): void {
  res.writeHead(204, ADVERTISE);
  res.end();
}

function sendConfig(deps: RestDeps, res: ServerResponse, agent: AgentEntry, rendered: RenderedEntry): void {
  let answer = answers.get(rendered);
  if (answer === undefined) {
    const body = Buffer.from(rendered.yaml, 'utf8');
    answer = {
      body,
      headers: {
        'content-type': `${YAML_CONTENT_TYPE}; charset=utf-8`,
        'content-length': body.length,
        [headers.configVersion]: String(rendered.version),
        [headers.configEtag]: rendered.etag,
        ...ADVERTISE,
      },
    };
    answers.set(rendered, answer);
  }
  res.writeHead(200, answer.headers);
  res.end(answer.body);
  deps.heartbeats.noteDelivered(agent, rendered.version, deps.ctx.clock());
}

/** Whether a woken poll's agent still has its desired version (in the same group): then hold it on. */
function stillUpToDate(deps: RestDeps, agent: AgentEntry, held: HeldPoll): boolean {
  if (agent.groupId !== held.groupId) return false;
  const baseline = deps.directory.cachedGroupVersion(agent.groupId);
  if (baseline === undefined) return false;
  return upToDate(agent, held.since, baseline, deps.directory.pinnedVersion(agent.id, agent.groupId));
}

/**
 * What a held poll does when it wakes (LongPolls calls this): 204 on a timeout or shutdown; after a
 * change, re-read the agent (moved? revoked?) and answer at once, unless the change left its desired
 * version where it was (e.g. its config reset was acknowledged): then it is held on until its hold ends.
 */
export function resumeHeldPoll(deps: RestDeps, held: HeldPoll, reason: WakeReason): void {
  const { req, res } = held;
  if (reason !== 'changed') return sendUnchanged(res);
  try {
    const agent = deps.directory.cachedAgent(held.agentId);
    if (!agent) throw new HttpError(403, ErrorCode.forbidden, 'unknown agent token: enrol again');
    if (agent.revoked)
      throw new HttpError(403, ErrorCode.tokenRevoked, 'this agent was revoked: enrol again');
    if (stillUpToDate(deps, agent, held) && deps.longPolls.holdAgain(held)) return;
    if (answerFromMemory(deps, req, res, agent, held.since, undefined)) return;
    answerWithDatabase(deps, req, res, agent, { since: held.since }).catch((error: unknown) =>
      sendFailure(res, error, deps.log, req),
    );
  } catch (error) {
    sendFailure(res, error, deps.log, req);
  }
}
