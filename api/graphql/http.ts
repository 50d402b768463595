/**
 * POST/GET /graphql on node:http: refuses bad Host headers, enforces the body limit,
 * authenticates (API token, or session cookie plus the CSRF header), builds the context and hands
 * the node request and response to Yoga's own Node adapter. The GraphiQL page itself (GET,
 * Accept: text/html) needs no credentials; its queries do.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ANONYMOUS, CSRF_HEADER, RequestRejected, authenticate, type RequestAuth } from './auth.ts';
import { createContext, type GraphqlServices } from './context.ts';
import { MAX_BODY_BYTES } from './limits.ts';
import type { GraphqlYoga } from './yoga.ts';
import { clientAddress, isValidHost, publicOrigin, readBoundedBody } from '../http/request-info.ts';
import { GRAPHIQL_HEADERS } from '../http/security-headers.ts';

function sendErrors(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

const tooLarge = () =>
  new RequestRejected(413, 'BODY_TOO_LARGE', `GraphQL request bodies are limited to ${MAX_BODY_BYTES} bytes`);

const badHeader = () =>
  new RequestRejected(
    400,
    'BAD_REQUEST',
    'the Host header must be a hostname or IP address with an optional port, and X-Forwarded-Proto http or https',
  );

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

/**
 * The /graphql handler for node:http. It never rejects: bad headers, refused credentials and
 * oversized bodies are answered with a GraphQL error body and 400 / 401 / 403 / 413; failures
 * before Yoga with 500 (logged); Yoga answers everything else (masking unexpected errors).
 */
export function createGraphqlHttpHandler(yoga: GraphqlYoga, services: GraphqlServices) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      // Yoga's adapter builds the request URL from Host, so it is checked even when
      // FLOTILLA_PUBLIC_URL decides the origin.
      const origin = publicOrigin(
        { publicUrl: services.fleet.settings.publicUrl, trustProxy: services.trustProxy },
        req.headers,
      );
      if (origin === null || !isValidHost(req.headers.host ?? 'localhost')) throw badHeader();
      const auth = await authOf(services, req);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        // Yoga's adapter takes an already read body from `req.body` instead of the stream.
        (req as IncomingMessage & { body?: Buffer }).body = await readBoundedBody(
          req,
          MAX_BODY_BYTES,
          tooLarge,
        );
      }
      if (isGraphiqlPage(req))
        for (const [name, value] of Object.entries(GRAPHIQL_HEADERS)) res.setHeader(name, value);
      const context = createContext(services, auth, {
        transport: 'http',
        clientAddress: clientAddress(req, services.trustProxy),
        secure: origin.startsWith('https:'),
        setCookie: (value) => res.appendHeader('set-cookie', value),
      });
      await yoga.handle(req, res, context);
    } catch (error) {
      if (res.headersSent) return void res.destroy();
      if (error instanceof RequestRejected) return sendErrors(res, error.status, error.code, error.message);
      services.log.error({ err: error }, 'GraphQL request failed');
      sendErrors(res, 500, 'INTERNAL_SERVER_ERROR', 'internal error');
    }
  };
}
