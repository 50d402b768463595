/**
 * Bearer authentication for the agent routes: AGT_ tokens resolve through the in-memory agent
 * directory (no database on a hit). 401 = no or malformed header; 403 = unknown or revoked token,
 * or a token used on another agent's :id.
 *
 * The SHA-256 of a token runs once per token, not once per request: the Authorization headers of
 * the agents the directory knows are remembered with their hash (a pure function of the header, so
 * it never goes stale). Only the hash is remembered, never the agent: the directory stays the one
 * source of truth, so a revoke, a move or a rotation is seen by the very next request. A header is
 * remembered only once the directory knew its hash, so unknown tokens cannot fill the table; it is
 * emptied when it reaches MAX_REMEMBERED_TOKENS. This keeps agents' bearer headers in memory, as
 * the sockets of their held polls already do.
 */
import type { IncomingMessage } from 'node:http';
import { ErrorCode, TOKEN_PREFIX } from '../protocol/v1.ts';
import type { AgentDirectory, AgentEntry } from '../fleet/agent-directory.ts';
import { bearerToken as parseBearer, hashToken } from '../fleet/tokens.ts';
import { HttpError } from './http.ts';

/** Authorization header → SHA-256 of its token (never the agent's current hash: a rotated token has two). */
const rememberedTokens = new Map<string, string>();
/** About 110 bytes an entry: enough for a large fleet's agents, bounded against churn. */
const MAX_REMEMBERED_TOKENS = 500_000;

/** The bearer token of a request; throws HttpError 401 when the header is missing or malformed. */
export function bearerToken(req: IncomingMessage): string {
  const token = parseBearer(req.headers.authorization);
  if (!token) throw new HttpError(401, ErrorCode.unauthenticated, 'send Authorization: Bearer <token>');
  return token;
}

/** The hash of the request's AGT_ token. Throws HttpError 401 (no or malformed header) or 403 (not an agent token). */
function agentTokenHash(req: IncomingMessage): string {
  const token = bearerToken(req);
  if (!token.startsWith(TOKEN_PREFIX.agent))
    throw new HttpError(403, ErrorCode.forbidden, 'this route takes an agent (AGT_) token');
  return hashToken(token);
}

function remember(authorization: string, hash: string): void {
  if (rememberedTokens.size >= MAX_REMEMBERED_TOKENS) rememberedTokens.clear();
  rememberedTokens.set(authorization, hash);
}

function admitted(agent: AgentEntry | null, agentId: string): AgentEntry {
  if (!agent) throw new HttpError(403, ErrorCode.forbidden, 'unknown agent token: enrol again');
  if (agent.revoked) throw new HttpError(403, ErrorCode.tokenRevoked, 'this agent was revoked: enrol again');
  if (agent.id !== agentId)
    throw new HttpError(403, ErrorCode.forbidden, 'this token belongs to another agent');
  return agent;
}

/**
 * authenticateAgent without a promise when the directory knows the token: the agent, or undefined
 * when only the database can tell (then call authenticateAgent). Throws the same HttpErrors.
 */
export function authenticateAgentCached(
  req: IncomingMessage,
  directory: AgentDirectory,
  agentId: string,
): AgentEntry | undefined {
  const authorization = req.headers.authorization;
  const known = authorization === undefined ? undefined : rememberedTokens.get(authorization);
  const hash = known ?? agentTokenHash(req);
  const agent = directory.cachedByTokenHash(hash);
  if (agent === undefined) return undefined;
  if (known === undefined) remember(authorization as string, hash);
  return admitted(agent, agentId);
}

/**
 * The agent behind the request's AGT_ token, which must be the agent named by `:id`.
 * Throws HttpError 401 / 403 as the protocol describes.
 */
export async function authenticateAgent(
  req: IncomingMessage,
  directory: AgentDirectory,
  agentId: string,
): Promise<AgentEntry> {
  const hash = agentTokenHash(req);
  return admitted(directory.cachedByTokenHash(hash) ?? (await directory.findByTokenHash(hash)), agentId);
}
