/**
 * GraphiQL without a CDN: the page (rendered for Yoga) references only same-origin files under
 * GRAPHIQL_ASSETS_PATH, which this module serves from the `@graphql-yoga/render-graphiql` package
 * (its bundle, styles, editor workers and icon). Nothing inline runs, so the page works
 * air-gapped and under GRAPHIQL_HEADERS's Content-Security-Policy. The 9 MB bundle is loaded
 * on the first GraphiQL request, gzipped once, and served with a content hash in its URL.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { GraphiQLOptions } from 'graphql-yoga';
import { GRAPHIQL_HEADERS } from '../http/security-headers.ts';

/** URL prefix of GraphiQL's files; below it `<hash>/<file>`. */
export const GRAPHIQL_ASSETS_PATH = '/graphql/graphiql/';

/** Monaco asks for a worker by label; these are the ones the package ships. */
const WORKERS = { editorWorkerService: 'editorWorkerService', json: 'jsonWorker', graphql: 'graphqlWorker' };

/** Runs before the bundle (Monaco reads its environment at load) and renders once the page is parsed. */
const BOOT = `(function () {
  var base = document.currentScript.src.replace(/[^/]*$/, '');
  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: function (_moduleId, label) { return base + 'worker-' + label + '.js'; },
  };
  document.addEventListener('DOMContentLoaded', function () {
    var options = JSON.parse(document.getElementById('graphiql-options').textContent);
    YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options);
  });
})();
`;

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
}

interface Assets {
  hash: string;
  files: Map<string, Asset>;
}

let loading: Promise<Assets> | null = null;

function asset(type: string, body: Buffer): Asset {
  return { type, body, gzip: gzipSync(body) };
}

async function load(): Promise<Assets> {
  const pkg = await import('@graphql-yoga/render-graphiql/graphiql');
  const js = 'text/javascript; charset=utf-8';
  const files = new Map<string, Asset>([
    ['boot.js', asset(js, Buffer.from(BOOT))],
    ['graphiql.js', asset(js, Buffer.from(pkg.js))],
    ['graphiql.css', asset('text/css; charset=utf-8', Buffer.from(pkg.css))],
    [
      'favicon.ico',
      asset('image/x-icon', Buffer.from(pkg.favicon.replace(/^data:[^,]*base64,/, ''), 'base64')),
    ],
  ]);
  for (const [label, name] of Object.entries(WORKERS))
    files.set(`worker-${label}.js`, asset(js, Buffer.from(pkg[name as keyof typeof pkg])));
  const digest = createHash('sha256');
  for (const [name, file] of files) digest.update(name).update(file.body);
  return { hash: digest.digest('hex').slice(0, 16), files };
}

function assets(): Promise<Assets> {
  loading ??= load().catch((error: unknown) => {
    loading = null;
    throw error;
  });
  return loading;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The GraphiQL page for Yoga's `renderGraphiQL`: same-origin scripts and styles only. */
export async function renderGraphiqlPage(options: GraphiQLOptions): Promise<string> {
  const base = `${GRAPHIQL_ASSETS_PATH}${(await assets()).hash}/`;
  // JSON in a data block: `<` escaped so no value can close the script element.
  const json = JSON.stringify(options).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title ?? 'GraphiQL')}</title>
    <link rel="icon" href="${base}favicon.ico" />
    <link rel="stylesheet" href="${base}graphiql.css" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root"></div>
    <script type="application/json" id="graphiql-options">${json}</script>
    <script src="${base}boot.js"></script>
    <script src="${base}graphiql.js"></script>
  </body>
</html>
`;
}

/**
 * Serve GET/HEAD `GRAPHIQL_ASSETS_PATH<hash>/<file>`: cached for a year (the hash changes with the
 * package), gzipped when the client accepts it; 404 for anything else. Never rejects.
 */
export async function serveGraphiqlAsset(req: IncomingMessage, res: ServerResponse, pathname: string) {
  const notFound = () => {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...GRAPHIQL_HEADERS });
    res.end('not found');
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return notFound();
  try {
    const { hash, files } = await assets();
    const [given, name, ...rest] = pathname.slice(GRAPHIQL_ASSETS_PATH.length).split('/');
    const file = given === hash && rest.length === 0 ? files.get(name) : undefined;
    if (!file) return notFound();
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? file.gzip : file.body;
    res.writeHead(200, {
      'content-type': file.type,
      'content-length': body.length,
      'cache-control': 'public, max-age=31536000, immutable',
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      ...GRAPHIQL_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('internal error');
  }
}
