/**
 * Secrets handed to agents and automation: EBT_ (bootstrap), AGT_ (agent) and FLT_ (API) tokens.
 * Each is a prefix + 32 random bytes (base64url), shown once and stored only as its SHA-256.
 */
import crypto from 'node:crypto';
import { TOKEN_PREFIX } from '../protocol/v1.ts';

export type TokenKind = keyof typeof TOKEN_PREFIX;

export interface MintedToken {
  /** The secret, to show once. */
  token: string;
  /** SHA-256 hex of the secret: the only form stored. */
  hash: string;
  /** A non-secret display prefix (kind + first 6 characters) for lists. */
  displayPrefix: string;
}

/** Mint a new random token of `kind`. Never fails. */
export function mintToken(kind: TokenKind): MintedToken {
  const token = TOKEN_PREFIX[kind] + crypto.randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token), displayPrefix: token.slice(0, TOKEN_PREFIX[kind].length + 6) };
}

/** SHA-256 hex of a presented token; lookups are by this hash. */
export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/**
 * The token of an `Authorization: Bearer <token>` header (RFC 6750 b64token; the scheme is
 * case-insensitive), or null when the header is missing or malformed. The one parser for every
 * transport.
 */
export function bearerToken(authorization: string | undefined): string | null {
  const match = authorization ? /^Bearer +([A-Za-z0-9_\-.~+/]+=*) *$/i.exec(authorization) : null;
  return match ? match[1] : null;
}
