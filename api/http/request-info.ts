/**
 * Facts about an incoming node:http request that both transports (the agent protocol in rest/ and
 * GraphQL) need, each decided here once: the client address, the public base URL and origin
 * (strict: only a hostname or IP literal with an optional port, and only `http` or `https` from
 * a trusted proxy, ever reach a URL), and reading a body with a size limit. No URL objects and no
 * promises on the agent hot path: everything but readBoundedBody is synchronous string work.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** The settings behind public URLs: FLOTILLA_PUBLIC_URL and FLOTILLA_TRUST_PROXY. */
export interface OriginSettings {
  /** Always wins when set (already validated and without a trailing slash, see config.ts). */
  publicUrl: string | undefined;
  /** Believe X-Forwarded-For and X-Forwarded-Proto (only behind a proxy that sets them). */
  trustProxy: boolean;
}

type HostHeaders = { host?: string | undefined; 'x-forwarded-proto'?: string | string[] | undefined };

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** A DNS name or IPv4 address (dotted labels), or a bracketed IPv6 literal; then an optional port. */
const HOST = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*\\.?|\\[[0-9A-Fa-f:.]{2,45}\\])(?::[0-9]{1,5})?$`);
const MAX_HOST_LENGTH = 261;

/** True when `host` is a hostname or IP literal with an optional port, and nothing else. */
export function isValidHost(host: string): boolean {
  if (host.length > MAX_HOST_LENGTH || !HOST.test(host)) return false;
  const port = /:([0-9]{1,5})$/.exec(host);
  return port === null || Number(port[1]) <= 65_535;
}

/**
 * The client's address: X-Forwarded-For's first hop behind a trusted proxy, else the socket's
 * peer address, else `unknown`. Used for rate limits and login throttling.
 */
export function clientAddress(
  req: { headers: IncomingHttpHeaders; socket: { remoteAddress?: string | undefined } },
  trustProxy: boolean,
): string {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const first = typeof forwarded === 'string' ? forwarded.split(',')[0].trim() : '';
  return first || req.socket.remoteAddress || 'unknown';
}

/**
 * The base URL clients use to reach this server (no trailing slash): FLOTILLA_PUBLIC_URL when set;
 * else `<scheme>://<Host>`, the scheme being `http` unless a trusted proxy sends
 * `X-Forwarded-Proto: https`. Returns null when the Host header is not a hostname or IP literal
 * with an optional port, or a trusted X-Forwarded-Proto is anything but exactly `http` or
 * `https`: the caller answers 400. A request without a Host header (HTTP/1.0) gets `localhost`.
 */
export function publicBaseUrl(settings: OriginSettings, headers: HostHeaders): string | null {
  if (settings.publicUrl) return settings.publicUrl;
  const host = headers.host ?? 'localhost';
  if (!isValidHost(host)) return null;
  const forwarded = settings.trustProxy ? headers['x-forwarded-proto'] : undefined;
  if (forwarded !== undefined && forwarded !== 'http' && forwarded !== 'https') return null;
  return `${forwarded ?? 'http'}://${host}`;
}

/**
 * The origin browsers see for this server (scheme, host and port, as WebSocket `Origin` headers
 * carry it): FLOTILLA_PUBLIC_URL's origin when set, else as publicBaseUrl. Null when the request's
 * Host or X-Forwarded-Proto is refused (see publicBaseUrl).
 */
export function publicOrigin(settings: OriginSettings, headers: HostHeaders): string | null {
  if (settings.publicUrl) return new URL(settings.publicUrl).origin;
  return publicBaseUrl(settings, headers);
}

/**
 * Read a request body of at most `limit` bytes. Rejects with `tooLarge()` as soon as the declared
 * Content-Length or the bytes received exceed the limit (the rest is not read).
 */
export async function readBoundedBody(
  req: IncomingMessage,
  limit: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? 0) > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
