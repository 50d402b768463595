/**
 * Bearer authentication for the agent routes: AGT_ tokens resolve through the in-memory agent
 * directory (no database on a hit). 401 = no or malformed header; 403 = unknown or revoked token,
 * or a token used on another agent's :id.
 */
import type { IncomingMessage } from 'node:http';
import { ErrorCode, TOKEN_PREFIX } from '../protocol/v1.ts';
import type { AgentDirectory, AgentEntry } from '../fleet/agent-directory.ts';
import { bearerToken as parseBearer, hashToken } from '../fleet/tokens.ts';
import { HttpError } from './http.ts';

/** The bearer token of a request; throws HttpError 401 when the header is missing or malformed. */
export function bearerToken(req: IncomingMessage): string {
  const token = parseBearer(req.headers.authorization);
  if (!token) throw new HttpError(401, ErrorCode.unauthenticated, 'send Authorization: Bearer <token>');
  return token;
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
  const token = bearerToken(req);
  if (!token.startsWith(TOKEN_PREFIX.agent))
    throw new HttpError(403, ErrorCode.forbidden, 'this route takes an agent (AGT_) token');
  const agent = await directory.findByTokenHash(hashToken(token));
  if (!agent) throw new HttpError(403, ErrorCode.forbidden, 'unknown agent token: enrol again');
  if (agent.revoked) throw new HttpError(403, ErrorCode.tokenRevoked, 'this agent was revoked: enrol again');
  if (agent.id !== agentId)
    throw new HttpError(403, ErrorCode.forbidden, 'this token belongs to another agent');
  return agent;
}
