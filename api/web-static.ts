/**
 * The dashboard's static files (web/dist, built by `npm run build:web`) at `/`. Hashed assets
 * under /assets/ are cached for a year; index.html is revalidated on every load and also answers
 * every other GET that is not an API path, so the dashboard's client-side routes survive reloads.
 * Text files are gzipped once and kept in memory.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type http from 'node:http';
import { DASHBOARD_HEADERS } from './http/security-headers.ts';

const WEB_DIST = path.resolve(import.meta.dirname, '../web/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.eot': 'application/vnd.ms-fontobject',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg', '.txt']);
/** Paths that belong to the API, never to the dashboard (no SPA fallback for them). */
const API_PREFIXES = ['/api/', '/graphql', '/healthz', '/readyz', '/install.sh'];
interface CachedFile {
  mtimeMs: number;
  body: Buffer;
  gzip: Buffer | null;
}

export interface WebStatic {
  /** Whether this request is the dashboard's to answer (GET or HEAD outside the API paths). */
  handles(req: http.IncomingMessage, pathname: string): boolean;
  /** Answer it: the file, index.html for client routes, 404 for a missing asset. Never throws. */
  serve(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<void>;
}

/** Serve the built dashboard from `dir`. Reads files lazily, so a later build is picked up. */
export function createWebStatic(dir = WEB_DIST): WebStatic {
  const cache = new Map<string, CachedFile>();

  const load = async (file: string): Promise<CachedFile | null> => {
    const stat = await fs.stat(file).catch(() => null);
    if (!stat?.isFile()) return null;
    const cached = cache.get(file);
    if (cached && cached.mtimeMs === stat.mtimeMs) return cached;
    const body = await fs.readFile(file);
    const gzip = COMPRESSIBLE.has(path.extname(file)) && body.length > 1024 ? gzipSync(body) : null;
    const entry = { mtimeMs: stat.mtimeMs, body, gzip };
    cache.set(file, entry);
    return entry;
  };

  const send = (req: http.IncomingMessage, res: http.ServerResponse, file: string, entry: CachedFile) => {
    const hashed = file.startsWith(path.join(dir, 'assets') + path.sep);
    const gzip =
      entry.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) ? entry.gzip : null;
    const body = gzip ?? entry.body;
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...(entry.gzip ? { vary: 'accept-encoding' } : {}),
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      ...DASHBOARD_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const notFound = (res: http.ServerResponse, message: string) => {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
    res.end(message);
  };

  return {
    handles(req, pathname) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      return !API_PREFIXES.some((prefix) => pathname === prefix || pathname.startsWith(prefix));
    },
    async serve(req, res, pathname) {
      try {
        let relative: string;
        try {
          relative = decodeURIComponent(pathname);
        } catch {
          return notFound(res, 'not found');
        }
        const file = path.resolve(dir, `.${path.posix.normalize(relative)}`);
        const inside = file === dir || file.startsWith(dir + path.sep);
        const entry = inside && file !== dir ? await load(file) : null;
        if (entry) return send(req, res, file, entry);
        if (relative.startsWith('/assets/')) return notFound(res, 'not found');
        const index = await load(path.join(dir, 'index.html'));
        if (!index) {
          return notFound(
            res,
            'The dashboard is not built: run `npm run build:web` (npm start does it when needed).',
          );
        }
        send(req, res, path.join(dir, 'index.html'), index);
      } catch {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error');
      }
    },
  };
}
