/**
 * api/http/request-info.ts: the client address, the public base URL / origin (strict about Host
 * and X-Forwarded-Proto, so no hostile header reaches install.sh or a Set-Cookie decision) and
 * bounded body reading.
 */
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  clientAddress,
  isValidHost,
  publicBaseUrl,
  publicOrigin,
  readBoundedBody,
} from '../../api/http/request-info.ts';
import { ConfigurationError, loadConfig } from '../../api/config.ts';

const direct = { publicUrl: undefined, trustProxy: 0 };
const proxied = { publicUrl: undefined, trustProxy: 1 };

const HOSTILE_HOSTS = [
  'x$(touch pwned)',
  'example.com$(touch pwned)',
  'example.com"; touch pwned; echo "',
  "example.com'",
  'example.com`id`',
  'example.com foo',
  ' example.com',
  'example.com\nX-Injected: 1',
  'example.com\r\n',
  'example.com/path',
  'user@example.com',
  'example.com:80:80',
  'example.com:port',
  '-example.com',
  'exa_mple.com',
  '[::1',
  '',
  'a'.repeat(300),
];

describe('public base URL and origin', () => {
  it('accepts hostnames, IPv4 and bracketed IPv6 literals with an optional port', () => {
    for (const host of [
      'localhost',
      'fleet.example.com',
      'fleet.example.com.',
      '10.0.0.1:8080',
      '[::1]:3000',
      'fleet.example.com:65535',
    ])
      expect(isValidHost(host), host).toBe(true);
    expect(publicBaseUrl(direct, { host: 'fleet.example.com:8080' })).toBe('http://fleet.example.com:8080');
    expect(publicBaseUrl(direct, {})).toBe('http://localhost');
  });

  it('refuses a port above 65535 (a URL built from it would not parse)', () => {
    for (const host of ['evil.com:99999', '[::1]:65536']) {
      expect(isValidHost(host), host).toBe(false);
      expect(publicBaseUrl(direct, { host }), host).toBeNull();
    }
  });

  it('refuses every hostile Host header (null: the transport answers 400)', () => {
    for (const host of HOSTILE_HOSTS) {
      expect(isValidHost(host), JSON.stringify(host)).toBe(false);
      expect(publicBaseUrl(direct, { host }), JSON.stringify(host)).toBeNull();
      expect(publicOrigin(proxied, { host, 'x-forwarded-proto': 'https' })).toBeNull();
    }
  });

  it('takes X-Forwarded-Proto only from a trusted proxy, and only exactly http or https', () => {
    const host = 'fleet.example.com';
    expect(publicBaseUrl(direct, { host, 'x-forwarded-proto': 'https' })).toBe('http://fleet.example.com');
    expect(publicBaseUrl(direct, { host, 'x-forwarded-proto': 'x$(touch pwned)' })).toBe(
      'http://fleet.example.com',
    );
    expect(publicBaseUrl(proxied, { host, 'x-forwarded-proto': 'https' })).toBe('https://fleet.example.com');
    expect(publicBaseUrl(proxied, { host, 'x-forwarded-proto': 'http' })).toBe('http://fleet.example.com');
    expect(publicBaseUrl(proxied, { host })).toBe('http://fleet.example.com');
    for (const proto of [
      'HTTPS',
      'https, http',
      'https ',
      'x$(touch pwned)',
      'ht"tp',
      'ftp',
      '`id`',
      'https\n',
      '',
    ])
      expect(publicBaseUrl(proxied, { host, 'x-forwarded-proto': proto }), JSON.stringify(proto)).toBeNull();
    expect(publicBaseUrl(proxied, { host, 'x-forwarded-proto': ['https', 'http'] })).toBeNull();
  });

  it('FLOTILLA_PUBLIC_URL always wins, whatever the headers say', () => {
    const settings = { publicUrl: 'https://fleet.example.com/base', trustProxy: 1 };
    const headers = { host: 'x$(touch pwned)', 'x-forwarded-proto': '`id`' };
    expect(publicBaseUrl(settings, headers)).toBe('https://fleet.example.com/base');
    expect(publicOrigin(settings, headers)).toBe('https://fleet.example.com');
  });
});

describe('client address', () => {
  const req = (forwarded?: string, peer: string | undefined = '10.1.1.1') => ({
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
    socket: { remoteAddress: peer },
  });

  it('is the socket peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress(req('203.0.113.7, 10.0.0.2'), 0)).toBe('10.1.1.1');
    expect(clientAddress(req(), 0)).toBe('10.1.1.1');
    expect(clientAddress({ headers: {}, socket: {} }, 0)).toBe('unknown');
  });

  it('behind one appending proxy, is the hop that proxy saw (the last), never a spoofed first hop', () => {
    // nginx's $proxy_add_x_forwarded_for appends the peer it saw to what the client sent.
    expect(clientAddress(req('198.51.100.9'), 1)).toBe('198.51.100.9');
    expect(clientAddress(req('1.2.3.4, 198.51.100.9'), 1)).toBe('198.51.100.9');
    expect(clientAddress(req('1.1.1.1, 2.2.2.2, 3.3.3.3 , 198.51.100.9'), 1)).toBe('198.51.100.9');
    // A client rotating its spoofed first hop still counts as one address.
    const seen = new Set(
      Array.from({ length: 50 }, (_, i) => clientAddress(req(`10.9.0.${i}, 198.51.100.9`), 1)),
    );
    expect([...seen]).toEqual(['198.51.100.9']);
  });

  it('behind two proxies, is the hop the outer proxy saw', () => {
    // client → outer proxy (appends client) → inner proxy (appends outer) → server
    expect(clientAddress(req('6.6.6.6, 198.51.100.9, 10.0.0.5', '10.0.0.6'), 2)).toBe('198.51.100.9');
    expect(clientAddress(req('198.51.100.9, 10.0.0.5'), 2)).toBe('198.51.100.9');
  });

  it('takes the leftmost hop of a chain shorter than the trusted hops, and the peer when there is none', () => {
    expect(clientAddress(req('198.51.100.9'), 3)).toBe('198.51.100.9');
    expect(clientAddress(req(), 1)).toBe('10.1.1.1');
    expect(clientAddress(req(' '), 1)).toBe('10.1.1.1');
  });

  it('FLOTILLA_TRUST_PROXY: false is 0, true is one proxy, a digit that many; anything else stops the start', () => {
    const hops = (value?: string) =>
      loadConfig(value === undefined ? {} : { FLOTILLA_TRUST_PROXY: value }).trustProxy;
    expect([hops(), hops('false'), hops('true'), hops('1'), hops('2'), hops('0')]).toEqual([
      0, 0, 1, 1, 2, 0,
    ]);
    for (const bad of ['yes', '-1', '10', '1.5', ''])
      expect(() => hops(bad), bad).toThrow(ConfigurationError);
  });

  it('cuts an absurdly long hop, so a limiter key stays small', () => {
    expect(clientAddress(req('x'.repeat(10_000)), 1)).toHaveLength(64);
  });
});

describe('bounded body reading', () => {
  const body = (chunks: string[], headers: Record<string, string> = {}) =>
    Object.assign(Readable.from(chunks.map((c) => Buffer.from(c))), {
      headers,
    }) as unknown as IncomingMessage;
  const tooLarge = () => new Error('too large');

  it('returns the whole body up to the limit', async () => {
    expect((await readBoundedBody(body(['ab', 'cd']), 4, tooLarge)).toString()).toBe('abcd');
  });

  it('refuses a body over the limit, whether declared or streamed', async () => {
    await expect(readBoundedBody(body(['ab', 'cde']), 4, tooLarge)).rejects.toThrow('too large');
    await expect(readBoundedBody(body([], { 'content-length': '5' }), 4, tooLarge)).rejects.toThrow(
      'too large',
    );
  });

  it('rejects when the request is closed before its body ended', async () => {
    const stream = new Readable({ read() {} });
    const reading = readBoundedBody(Object.assign(stream, { headers: {} }) as never, 10, tooLarge);
    stream.push(Buffer.from('ab'));
    stream.destroy();
    await expect(reading).rejects.toThrow('closed before its body ended');
    await expect(
      readBoundedBody(Object.assign(stream, { headers: {} }) as never, 10, tooLarge),
    ).rejects.toThrow('closed before its body ended');
  });

  it('reads a body sent in one chunk or in many', async () => {
    const chunks = Array.from({ length: 100 }, (_, i) => String(i % 10));
    expect((await readBoundedBody(body(chunks), 100, tooLarge)).toString()).toBe(chunks.join(''));
    expect((await readBoundedBody(body(['only']), 100, tooLarge)).toString()).toBe('only');
  });
});
