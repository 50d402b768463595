/**
 * Typed REST client over api/protocol/v1.ts. Every call resolves (never rejects) to an Outcome:
 * `ok`, `retryable` (network trouble, timeouts, 408/429/5xx, malformed answers) or `fatal`
 * (any other 4xx, e.g. 403 token revoked). Callers pick the next step from the kind alone.
 */
import { createHash } from 'node:crypto';
import {
  EnrolResponse,
  ErrorBody,
  HeartbeatResponse,
  YAML_CONTENT_TYPE,
  headers,
  paths,
  type EnrolRequest,
  type HeartbeatRequest,
} from '../../api/protocol/v1.ts';
import { DiagnosticsUploadResponse, type DiagnosticsBundle } from '../../api/protocol/actions.ts';
import type { Clock } from '../clock.ts';
import { errorMessage } from '../log.ts';
import { parseRetryAfter } from './backoff.ts';
import type { Fetch, HttpResponse } from './http.ts';

export type Outcome<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'retryable'; message: string; status?: number; retryAfterMs?: number }
  | { kind: 'fatal'; message: string; status?: number; code?: string };

/** Who the agent is to the server: written by enrol, read by every later call. */
export interface Credentials {
  apiUrl: string;
  agentId: string;
  agentToken: string;
}

export type ConfigAnswer =
  | { kind: 'unchanged'; longPollMax?: number }
  | { kind: 'config'; version: number; etag?: string; body: string; longPollMax?: number };

export interface Release {
  bytes: Uint8Array;
  sha256: string;
}

export interface ClientOptions {
  fetch: Fetch;
  clock: Clock;
  timeoutMs: number;
  userAgent: string;
}

export interface AgentClient {
  /** POST enrol with a bootstrap token. Fatal outcomes carry the server's error code. */
  enrol(apiUrl: string, body: EnrolRequest, signal?: AbortSignal): Promise<Outcome<EnrolResponse['data']>>;
  /** GET config?since=N (&wait=S for a long-poll); 204 → unchanged, 200 → the YAML and its version. */
  pollConfig(
    creds: Credentials,
    query: { since: number; waitSeconds?: number },
    signal?: AbortSignal,
  ): Promise<Outcome<ConfigAnswer>>;
  /** POST heartbeat; ok carries pending actions and rejected results. */
  heartbeat(
    creds: Credentials,
    body: HeartbeatRequest,
    signal?: AbortSignal,
  ): Promise<Outcome<HeartbeatResponse['data']>>;
  /** GET a release bundle; checks it against `expectedSha256` (hex) before returning ok. */
  downloadRelease(url: string, expectedSha256: string, signal?: AbortSignal): Promise<Outcome<Release>>;
  /** GET the candidate config of validate_config action `actionId`; checks it against its etag. */
  fetchCandidate(creds: Credentials, actionId: string, signal?: AbortSignal): Promise<Outcome<Candidate>>;
  /** POST the diagnostics bundle of collect_diagnostics action `actionId`; ok carries the stored id. */
  uploadDiagnostics(
    creds: Credentials,
    actionId: string,
    bundle: DiagnosticsBundle,
    signal?: AbortSignal,
  ): Promise<Outcome<DiagnosticsUploadResponse['data']>>;
}

/** A validate_config candidate: the YAML (secrets resolved) and the hex SHA-256 of its bytes. */
export interface Candidate {
  body: string;
  sha256: string;
}

/** Creates a client. Safe to share between the loop's tasks; holds no per-call state. */
export function createClient(options: ClientOptions): AgentClient {
  const request = async <T>(
    url: string,
    init: { method: string; headers?: Record<string, string>; body?: string; timeoutMs?: number },
    onResponse: (response: HttpResponse) => Promise<Outcome<T>>,
    signal?: AbortSignal,
  ): Promise<Outcome<T>> => {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = options.clock.setTimeout(() => controller.abort(), init.timeoutMs ?? options.timeoutMs);
    try {
      const response = await options.fetch(url, {
        method: init.method,
        headers: { 'user-agent': options.userAgent, ...init.headers },
        body: init.body,
        signal: controller.signal,
      });
      return await onResponse(response);
    } catch (error) {
      const aborted = controller.signal.aborted;
      const why = aborted && !signal?.aborted ? 'request timed out' : errorMessage(error);
      return { kind: 'retryable', message: `${init.method} ${new URL(url).pathname}: ${why}` };
    } finally {
      options.clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  };

  const failure = async (response: HttpResponse): Promise<Outcome<never>> => {
    const text = await response.text().catch(() => '');
    let code: string | undefined;
    let message = `HTTP ${response.status}`;
    try {
      const parsed = ErrorBody.safeParse(JSON.parse(text));
      if (parsed.success) {
        code = parsed.data.error.code;
        message = `HTTP ${response.status} ${code}: ${parsed.data.error.message}`;
      }
    } catch {
      // Not a protocol error body (a proxy page, an empty body): the status alone decides.
    }
    const status = response.status;
    if (status === 408 || status === 425 || status === 429 || status >= 500) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), options.clock.now());
      return { kind: 'retryable', message, status, retryAfterMs };
    }
    return { kind: 'fatal', message, status, code };
  };

  const json = async <T>(
    response: HttpResponse,
    schema: { safeParse(v: unknown): { success: boolean; data?: T } },
  ) => {
    const parsed = schema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success || parsed.data === undefined) {
      return { kind: 'retryable', message: `unexpected response body (HTTP ${response.status})` } as const;
    }
    return { kind: 'ok', value: parsed.data } as const;
  };

  const auth = (creds: Credentials): Record<string, string> => ({
    authorization: `Bearer ${creds.agentToken}`,
  });

  return {
    enrol: (apiUrl, body, signal) =>
      request(
        apiUrl + paths.enrol,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
        async (response) => {
          if (response.status !== 201 && response.status !== 200) return failure(response);
          const result = await json(response, EnrolResponse);
          return result.kind === 'ok' ? { kind: 'ok', value: result.value.data } : result;
        },
        signal,
      ),

    pollConfig: (creds, query, signal) => {
      const url = new URL(creds.apiUrl + paths.config(creds.agentId));
      url.searchParams.set('since', String(query.since));
      if (query.waitSeconds) url.searchParams.set('wait', String(query.waitSeconds));
      const timeoutMs = query.waitSeconds ? query.waitSeconds * 1000 + 5000 : undefined;
      return request(
        url.toString(),
        { method: 'GET', headers: { ...auth(creds), accept: YAML_CONTENT_TYPE }, timeoutMs },
        async (response): Promise<Outcome<ConfigAnswer>> => {
          const maxHeader = response.headers.get(headers.longPollMax);
          const longPollMax = maxHeader && /^\d+$/.test(maxHeader) ? Number(maxHeader) : undefined;
          if (response.status === 204) {
            return { kind: 'ok', value: { kind: 'unchanged', longPollMax } };
          }
          if (response.status !== 200) return failure(response);
          const body = await response.text();
          const versionHeader = response.headers.get(headers.configVersion) ?? '';
          if (!/^\d+$/.test(versionHeader)) {
            return { kind: 'retryable', message: `config answer without a valid ${headers.configVersion}` };
          }
          const etag = response.headers.get(headers.configEtag) ?? undefined;
          if (etag && etag !== `sha256:${sha256Hex(body)}`) {
            return { kind: 'retryable', message: 'config body does not match its x-config-etag' };
          }
          return {
            kind: 'ok',
            value: { kind: 'config', version: Number(versionHeader), etag, body, longPollMax },
          };
        },
        signal,
      );
    },

    heartbeat: (creds, body, signal) =>
      request(
        creds.apiUrl + paths.heartbeat(creds.agentId),
        {
          method: 'POST',
          headers: { ...auth(creds), 'content-type': 'application/json' },
          body: JSON.stringify(body),
        },
        async (response) => {
          if (response.status !== 200) return failure(response);
          const result = await json(response, HeartbeatResponse);
          return result.kind === 'ok' ? { kind: 'ok', value: result.value.data } : result;
        },
        signal,
      ),

    downloadRelease: (url, expectedSha256, signal) =>
      request(
        url,
        { method: 'GET', timeoutMs: Math.max(options.timeoutMs, 120_000) },
        async (response): Promise<Outcome<Release>> => {
          if (response.status !== 200) return failure(response);
          const bytes = new Uint8Array(await response.arrayBuffer());
          const sha256 = sha256Hex(bytes);
          if (sha256 !== expectedSha256.toLowerCase()) {
            return {
              kind: 'fatal',
              message: `release checksum mismatch: got ${sha256}, expected ${expectedSha256}`,
            };
          }
          return { kind: 'ok', value: { bytes, sha256 } };
        },
        signal,
      ),

    fetchCandidate: (creds, actionId, signal) =>
      request(
        creds.apiUrl + paths.actionCandidate(creds.agentId, actionId),
        { method: 'GET', headers: { ...auth(creds), accept: YAML_CONTENT_TYPE } },
        async (response): Promise<Outcome<Candidate>> => {
          if (response.status !== 200) return failure(response);
          const body = await response.text();
          const sha256 = sha256Hex(body);
          const etag = response.headers.get(headers.configEtag);
          if (etag && etag !== `sha256:${sha256}`)
            return { kind: 'retryable', message: 'candidate body does not match its x-config-etag' };
          return { kind: 'ok', value: { body, sha256 } };
        },
        signal,
      ),

    uploadDiagnostics: (creds, actionId, bundle, signal) =>
      request(
        creds.apiUrl + paths.actionDiagnostics(creds.agentId, actionId),
        {
          method: 'POST',
          headers: { ...auth(creds), 'content-type': 'application/json' },
          body: JSON.stringify(bundle),
          timeoutMs: Math.max(options.timeoutMs, 60_000),
        },
        async (response) => {
          if (response.status !== 201) return failure(response);
          const result = await json(response, DiagnosticsUploadResponse);
          return result.kind === 'ok' ? { kind: 'ok', value: result.value.data } : result;
        },
        signal,
      ),
  };
}

/** Hex SHA-256 of text (UTF-8) or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
