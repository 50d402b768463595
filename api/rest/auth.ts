/**
 * Bearer authentication for the agent routes: AGT_ tokens resolve through the in-memory agent
 * directory (no database on a hit). 401 = no or malformed header; 403 = unknown or revoked token,
 * or a token used on another agent's :id.
 *
 * A keep-alive connection sends the same Authorization header on every request, so each socket
 * remembers the header it last saw and that token's hash: the SHA-256 runs once per connection,
 * not once per request. Only the hash is cached, never the agent: the directory stays the one
 * source of truth, so a revoke or a move is seen by the very next request on the same socket.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorCode, TOKEN_PREFIX } from '../protocol/v1.ts';
import type { AgentDirectory, AgentEntry } from '../fleet/agent-directory.ts';
import { bearerToken as parseBearer, hashToken } from '../fleet/tokens.ts';
import { HttpError } from './http.ts';

interface SocketToken {
  authorization: string;
  hash: string;
}

const socketTokens = new WeakMap<Socket, SocketToken>();

/** The bearer token of a request; throws HttpError 401 when the header is missing or malformed. */
export function bearerToken(req: IncomingMessage): string {
  const token = parseBearer(req.headers.authorization);
  if (!token) throw new HttpError(401, ErrorCode.unauthenticated, 'send Authorization: Bearer <token>');
  return token;
}

/**
 * The hash of the request's AGT_ token, remembered per socket for the same header. Throws
 * HttpError 401 (no or malformed header) or 403 (not an agent token).
 */
function agentTokenHash(req: IncomingMessage): string {
  const authorization = req.headers.authorization;
  const known = socketTokens.get(req.socket);
  if (known !== undefined && known.authorization === authorization) return known.hash;
  const token = bearerToken(req);
  if (!token.startsWith(TOKEN_PREFIX.agent))
    throw new HttpError(403, ErrorCode.forbidden, 'this route takes an agent (AGT_) token');
  const hash = hashToken(token);
  if (known === undefined) socketTokens.set(req.socket, { authorization: authorization as string, hash });
  else {
    // Another token on the same connection (a proxy pooling upstream connections): replace in place.
    known.authorization = authorization as string;
    known.hash = hash;
  }
  return hash;
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
  const agent = directory.cachedByTokenHash(agentTokenHash(req));
  return agent === undefined ? undefined : admitted(agent, agentId);
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
