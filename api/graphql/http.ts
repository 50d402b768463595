/**
 * POST/GET /graphql on node:http: enforces the body limit, authenticates (API token, or session
 * cookie plus the CSRF header), builds the context and hands a Fetch Request to Yoga. The
 * GraphiQL page itself (GET, Accept: text/html) needs no credentials; its queries do.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ANONYMOUS,
  CSRF_HEADER,
  RequestRejected,
  authenticate,
  serverOrigin,
  type RequestAuth,
} from './auth.ts';
import { createContext, type GraphqlServices } from './context.ts';
import { MAX_BODY_BYTES } from './limits.ts';
import type { GraphqlYoga } from './yoga.ts';

function sendErrors(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES)
    throw new RequestRejected(413, 'BODY_TOO_LARGE', tooLarge);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new RequestRejected(413, 'BODY_TOO_LARGE', tooLarge);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const tooLarge = `GraphQL request bodies are limited to ${MAX_BODY_BYTES} bytes`;

/** The client address: X-Forwarded-For's first hop behind a trusted proxy, else the socket's. */
function clientAddressOf(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const first = typeof forwarded === 'string' ? forwarded.split(',')[0].trim() : '';
  return first || req.socket.remoteAddress || 'unknown';
}

function isGraphiqlPage(req: IncomingMessage): boolean {
  return req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
}

async function authOf(services: GraphqlServices, req: IncomingMessage): Promise<RequestAuth> {
  if (isGraphiqlPage(req)) return ANONYMOUS;
  const { authorization, cookie } = req.headers;
  if (authorization === undefined && !req.headers[CSRF_HEADER]) {
    throw new RequestRejected(
      403,
      'CSRF_HEADER_REQUIRED',
      `send the ${CSRF_HEADER} header, or Authorization: Bearer <API token>`,
    );
  }
  return authenticate(services.fleet, { authorization, cookie }, true);
}

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/**
 * The /graphql handler for node:http. It never rejects: refused credentials and oversized bodies
 * are answered with a GraphQL error body and 401 / 403 / 413; other failures with 500 (logged).
 */
export function createGraphqlHttpHandler(yoga: GraphqlYoga, services: GraphqlServices) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const auth = await authOf(services, req);
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
      const cookies: string[] = [];
      const origin = serverOrigin(
        { publicUrl: services.fleet.settings.publicUrl, trustProxy: services.trustProxy },
        req.headers,
      );
      const context = createContext(services, auth, {
        transport: 'http',
        clientAddress: clientAddressOf(req, services.trustProxy),
        secure: origin.startsWith('https:'),
        setCookie: (value) => cookies.push(value),
      });
      const request = new yoga.fetchAPI.Request(new URL(req.url ?? '/', origin), {
        method: req.method,
        headers: toHeaders(req),
        body: body === undefined ? undefined : new Uint8Array(body),
      });
      const response = await yoga.fetch(request, context);
      const headers: Record<string, string | string[]> = {};
      response.headers.forEach((value, name) => {
        if (name !== 'set-cookie') headers[name] = value;
      });
      if (cookies.length > 0) headers['set-cookie'] = cookies;
      const payload = Buffer.from(await response.arrayBuffer());
      headers['content-length'] = String(payload.length);
      res.writeHead(response.status, headers);
      res.end(payload);
    } catch (error) {
      if (res.headersSent) return void res.destroy();
      if (error instanceof RequestRejected) return sendErrors(res, error.status, error.code, error.message);
      services.log.error({ err: error }, 'GraphQL request failed');
      sendErrors(res, 500, 'INTERNAL_SERVER_ERROR', 'internal error');
    }
  };
}
