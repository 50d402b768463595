/**
 * Small node:http helpers for the agent protocol routes: JSON and YAML answers, the one error
 * shape `{"error":{"code","message"}}`, and body reading with the 64 KiB limit and zod validation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { ErrorCode, MAX_BODY_BYTES } from '../protocol/v1.ts';
import { publicBaseUrl, readBoundedBody, type OriginSettings } from '../http/request-info.ts';

/** An error with an HTTP status and a protocol error code; the router answers it as is. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Answer JSON with `status`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Answer the protocol's error shape. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { code, message } }, headers);
}

/** Answer 204 with no body. */
export function sendNoContent(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(204, headers);
  res.end();
}

/**
 * Read a JSON body (at most `maxBytes`, 64 KiB unless a route says otherwise) and validate it with
 * `schema`. Throws HttpError 413 when it is too large, 415 for a non-JSON content type, 400 (naming the first bad field) when it does not
 * parse or validate. Unknown extra fields are dropped, as the protocol asks. `plain`, when given,
 * may accept the parsed JSON as it is (no copy) when the schema would return it unchanged.
 */
export async function readJson<S extends z.ZodType>(
  req: IncomingMessage,
  schema: S,
  plain?: (value: unknown) => z.output<S> | undefined,
  maxBytes = MAX_BODY_BYTES,
): Promise<z.output<S>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(415, ErrorCode.unsupportedMediaType, 'send the body as application/json');
  }
  const body = await readBoundedBody(req, maxBytes, () => tooLarge(maxBytes));
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, ErrorCode.invalidBody, 'the body is not valid JSON');
  }
  const accepted = plain?.(value);
  if (accepted !== undefined) return accepted;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.map(String).join('.') || 'body';
    throw new HttpError(400, ErrorCode.invalidBody, `${field}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The base URL clients use to reach this server (request-info.ts decides it). Throws HttpError 400
 * (invalid_header) when the Host or a trusted X-Forwarded-Proto header is refused.
 */
export function requestBaseUrl(
  deps: { ctx: { settings: { publicUrl: string | undefined } }; trustProxy: OriginSettings['trustProxy'] },
  req: IncomingMessage,
): string {
  const settings: OriginSettings = { publicUrl: deps.ctx.settings.publicUrl, trustProxy: deps.trustProxy };
  const base = publicBaseUrl(settings, req.headers);
  if (base === null) throw invalidHostHeader();
  return base;
}

/** The HttpError for a refused Host or X-Forwarded-Proto header. */
export function invalidHostHeader(): HttpError {
  return new HttpError(
    400,
    ErrorCode.invalidHeader,
    'the Host header must be a hostname or IP address with an optional port, and X-Forwarded-Proto http or https',
  );
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, ErrorCode.bodyTooLarge, `request bodies are limited to ${maxBytes} bytes`);
}
