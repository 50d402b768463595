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
  /**
   * How many proxies in front of this server to believe (FLOTILLA_TRUST_PROXY; 0: none). Above 0,
   * X-Forwarded-Proto is believed and the client address is read from X-Forwarded-For, see
   * clientAddress.
   */
  trustProxy: TrustedProxies;
}

/** Number of trusted proxy hops in front of this server (0: the socket's peer is the client). */
export type TrustedProxies = number;

/** Longest client address kept: an IPv6 literal with a zone fits; longer header junk is cut. */
const MAX_ADDRESS_LENGTH = 64;

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
 * The client's address, for rate limits and login throttling. Without trusted proxies it is the
 * socket's peer. Behind `trustedProxies` proxies that each APPEND the address they saw to
 * X-Forwarded-For (nginx's `$proxy_add_x_forwarded_for`), the chain is
 * `<whatever the client sent>, <client>, <proxy 1>, …` followed by the socket's peer (the last
 * proxy), so the client is the hop `trustedProxies` places from the right end of
 * `[...X-Forwarded-For, peer]`: hops further left were written by the client and are ignored.
 * A shorter chain yields its leftmost hop; no address at all yields `unknown`.
 */
export function clientAddress(
  req: { headers: IncomingHttpHeaders; socket: { remoteAddress?: string | undefined } },
  trustedProxies: TrustedProxies,
): string {
  const peer = req.socket.remoteAddress || 'unknown';
  const forwarded = trustedProxies > 0 ? req.headers['x-forwarded-for'] : undefined;
  if (typeof forwarded !== 'string') return peer;
  const hops = forwarded.split(',');
  // hops[hops.length - 1] is one place from the right end (the peer is the last place).
  const at = Math.max(0, hops.length - trustedProxies);
  const hop = hops[at].trim().slice(0, MAX_ADDRESS_LENGTH);
  return hop || peer;
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
  const forwarded = settings.trustProxy > 0 ? headers['x-forwarded-proto'] : undefined;
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

const closedEarly = () => new Error('the request was closed before its body ended');

/**
 * Read a request body of at most `limit` bytes. Rejects with `tooLarge()` as soon as the declared
 * Content-Length or the bytes received exceed the limit (the request is then destroyed, the rest
 * not read), and with an error when the client goes away first. Listens to the stream's events
 * rather than iterating it: an async iterator costs several promises per chunk on the agent hot path.
 */
export function readBoundedBody(req: IncomingMessage, limit: number, tooLarge: () => Error): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
  if (req.destroyed) return Promise.reject(closedEarly());
  // Inline callbacks, and not removed: the request object goes with them. Named ones would cost a
  // property definition each per request under tsx (esbuild's keepNames).
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      settled = true;
      reject(tooLarge());
      req.destroy();
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on('error', (error: Error) => {
      settled = true;
      reject(error);
    });
    // 'close' follows 'end' on every request: build the error only when it still matters (an
    // Error captures a stack trace, a real cost per heartbeat).
    req.on('close', () => {
      if (settled) return;
      settled = true;
      reject(closedEarly());
    });
  });
}
