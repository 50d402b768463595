/**
 * The agent protocol, version 1: the one wire contract between the server (api/rest) and
 * flotilla-agent (agent/transport). A leaf module: it imports only zod, so the agent bundle can
 * include it without pulling in the server. The reference for agent authors is ./README.md.
 */
import { z } from 'zod';

export const BASE_PATH = '/api/v1/agents';

/** Paths of every route, as the server matches them and the agent builds them. */
export const paths = {
  enrol: `${BASE_PATH}/enrol`,
  config: (agentId: string) => `${BASE_PATH}/${encodeURIComponent(agentId)}/config`,
  heartbeat: (agentId: string) => `${BASE_PATH}/${encodeURIComponent(agentId)}/heartbeat`,
  actions: (agentId: string) => `${BASE_PATH}/${encodeURIComponent(agentId)}/actions`,
  /** GET (agent token): the candidate config of a `validate_config` action, secrets resolved. */
  actionCandidate: (agentId: string, actionId: string) =>
    `${BASE_PATH}/${encodeURIComponent(agentId)}/actions/${encodeURIComponent(actionId)}/candidate`,
  /** POST (agent token): the diagnostics bundle of a `collect_diagnostics` action. */
  actionDiagnostics: (agentId: string, actionId: string) =>
    `${BASE_PATH}/${encodeURIComponent(agentId)}/actions/${encodeURIComponent(actionId)}/diagnostics`,
  release: (version: string) => `${BASE_PATH}/releases/${encodeURIComponent(version)}`,
} as const;

/**
 * Response headers: the config route's version, etag and long-poll advertisement, and the release
 * download's checksum.
 */
export const headers = {
  configVersion: 'x-config-version',
  configEtag: 'x-config-etag',
  longPollMax: 'x-long-poll-max',
  releaseSha256: 'x-release-sha256',
} as const;

export const MAX_BODY_BYTES = 64 * 1024;
/** Largest request line plus headers the server reads; past it the HTTP layer answers 431. */
export const MAX_HEADER_BYTES = 16 * 1024;
export const DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 30;
export const DEFAULT_POLL_INTERVAL_SECONDS = 10;
/**
 * Bounds of the intervals a server advertises in a heartbeat answer (`heartbeatIntervalSeconds`,
 * `pollIntervalSeconds`, from the fleet settings): the server refuses settings outside them, and an
 * agent clamps an advertised value into them. The agent's own --heartbeat-interval and
 * --poll-interval (used while nothing is advertised) are not bound by these.
 */
export const HEARTBEAT_INTERVAL_BOUNDS_SECONDS = { min: 5, max: 3600 } as const;
export const POLL_INTERVAL_BOUNDS_SECONDS = { min: 1, max: 3600 } as const;
export const LONG_POLL_MAX_SECONDS = 60;
export const MAX_PENDING_ACTIONS = 10;
export const YAML_CONTENT_TYPE = 'application/yaml';
/** The body of a config with nothing to run: the agent stops Vector. */
export const EMPTY_CONFIG = '{}';

/**
 * Prefix of the component ids the agent adds to every config (its metrics source and exporter
 * sink); a group's pipeline may not use ids starting with it, so the server refuses them.
 */
export const RESERVED_COMPONENT_ID_PREFIX = 'flotilla_';

/** Machine-readable error codes; clients branch on these, never on the message. */
export const ErrorCode = {
  invalidBody: 'invalid_body',
  invalidQuery: 'invalid_query',
  invalidHeader: 'invalid_header',
  bodyTooLarge: 'body_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  unauthenticated: 'unauthenticated',
  bootstrapTokenInvalid: 'bootstrap_token_invalid',
  bootstrapTokenExpired: 'bootstrap_token_expired',
  bootstrapTokenExhausted: 'bootstrap_token_exhausted',
  tokenRevoked: 'token_revoked',
  forbidden: 'forbidden',
  groupNotFound: 'group_not_found',
  agentNotFound: 'agent_not_found',
  actionNotFound: 'action_not_found',
  actionNotActive: 'action_not_active',
  candidateUnavailable: 'candidate_unavailable',
  releaseNotFound: 'release_not_found',
  notFound: 'not_found',
  invalidPath: 'invalid_path',
  groupOverrideForbidden: 'group_override_forbidden',
  methodNotAllowed: 'method_not_allowed',
  rateLimited: 'rate_limited',
  internal: 'internal_error',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const Platform = z.enum(['linux', 'kubernetes']);
export type Platform = z.infer<typeof Platform>;

/*
 * Bounds every request field to what the database stores, written once and used by every schema
 * below: text without NUL or unpaired surrogates (PostgreSQL rejects both), integers in the int32
 * range of an `integer` column, durations that keep a timestamp in range, and JSON objects of
 * bounded depth and size (jsonb rejects deep nesting, and every row must fit one flush).
 */

/** Largest value a PostgreSQL `integer` column holds. */
export const INT32_MAX = 2_147_483_647;
/** Longest uptime an agent may report (10 years): the start time it implies stays a sane timestamp. */
export const MAX_UPTIME_SECONDS = 10 * 365 * 24 * 3600;
/** Deepest nesting of a JSON object in a request (action results, action payloads). */
export const MAX_JSON_DEPTH = 16;
/** Largest JSON object in a request, in bytes of its JSON text. */
export const MAX_JSON_BYTES = 16 * 1024;

const UNSTORABLE_TEXT = /[\u0000\p{Cs}]/u;
/** Why a string that isStorableText refuses is refused. */
export const UNSTORABLE_MESSAGE = 'must not contain NUL characters or unpaired surrogates';

/** True when PostgreSQL can store `s` as text: no NUL character and no unpaired surrogate. */
export function isStorableText(s: string): boolean {
  return !UNSTORABLE_TEXT.test(s);
}

/**
 * `s` made storable for a field of at most `max` characters: NUL and unpaired surrogates become
 * U+FFFD, and the cut never splits a surrogate pair. Agents pass text they did not write (Vector's
 * output, error messages) through this before sending it.
 */
export function toStorableText(s: string, max: number): string {
  const clean = s.replace(/[\u0000\p{Cs}]/gu, '\uFFFD');
  if (clean.length <= max) return clean;
  const end = /[\uD800-\uDBFF]/.test(clean[max - 1] ?? '') ? max - 1 : max;
  return clean.slice(0, end);
}

/** A string of at most `max` characters (at least `min`, trimmed when asked) that the database can store. */
export function boundedText(max: number, options: { min?: number; trim?: boolean } = {}) {
  const base = options.trim ? z.string().trim() : z.string();
  return base
    .min(options.min ?? 0)
    .max(max)
    .refine(isStorableText, UNSTORABLE_MESSAGE);
}

/** An integer that fits a PostgreSQL `integer` column, at least `min` (default 0). */
export function int32(min = 0) {
  return z.number().int().min(min).max(INT32_MAX);
}

/**
 * Why `value` cannot be stored as a JSON blob (too deep, larger than `maxBytes` of JSON text
 * (default MAX_JSON_BYTES; null: no size bound), a key or string the database rejects), or null
 * when it can. Stops at the first problem, so hostile input costs little.
 */
export function jsonBlobProblem(
  value: unknown,
  { maxBytes = MAX_JSON_BYTES }: { maxBytes?: number | null } = {},
): string | null {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (!isStorableText(v)) return `strings ${UNSTORABLE_MESSAGE}`;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) return `must not nest deeper than ${MAX_JSON_DEPTH} levels`;
    for (const [key, child] of Object.entries(v)) {
      if (!isStorableText(key)) return `keys ${UNSTORABLE_MESSAGE}`;
      stack.push({ value: child, depth: depth + 1 });
    }
  }
  if (maxBytes === null) return null;
  const bytes = new TextEncoder().encode(JSON.stringify(value)).length;
  return bytes > maxBytes ? `must be at most ${maxBytes} bytes of JSON` : null;
}

/** A JSON object the database can store: bounded depth and size, storable keys and strings. */
export function jsonObject() {
  return z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    const problem = jsonBlobProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** Longest agent or Vector version string; longest configError message. */
export const MAX_VERSION_LENGTH = 64;
export const MAX_CONFIG_ERROR_LENGTH = 16 * 1024;

const shortText = boundedText(255, { min: 1, trim: true });
const versionText = boundedText(MAX_VERSION_LENGTH, { min: 1, trim: true });

export const EnrolRequest = z.object({
  bootstrapToken: boundedText(512, { min: 1 }),
  hostname: shortText,
  platform: Platform,
  os: boundedText(255),
  kernel: boundedText(255),
  agentVersion: versionText,
  vectorVersion: boundedText(64),
  /** Enrol into this group instead of the token's own; only tokens minted to allow it accept another group. */
  groupSlug: boundedText(64, { min: 1 }).optional(),
});
export type EnrolRequest = z.infer<typeof EnrolRequest>;

export const EnrolResponse = z.object({
  data: z.object({
    agentId: z.string(),
    agentToken: z.string(),
    groupId: z.string(),
    configVersion: z.number().int(),
  }),
});
export type EnrolResponse = z.infer<typeof EnrolResponse>;

/** Query of `GET :id/config`: `since` is required, `wait` (long-poll seconds) optional. */
export const ConfigQuery = z.object({
  since: z
    .string()
    .regex(/^\d{1,9}$/, 'since must be a non-negative integer')
    .transform(Number),
  wait: z
    .string()
    .regex(/^\d{1,2}$/, 'wait must be an integer number of seconds')
    .transform(Number)
    .pipe(z.number().int().min(1).max(LONG_POLL_MAX_SECONDS))
    .optional(),
});
export type ConfigQuery = z.infer<typeof ConfigQuery>;

export const ActionStatusReported = z.enum(['running', 'done', 'failed']);
export type ActionStatusReported = z.infer<typeof ActionStatusReported>;

export const ActionResult = z.object({
  actionId: boundedText(64, { min: 1 }),
  status: ActionStatusReported,
  result: jsonObject().optional(),
});
export type ActionResult = z.infer<typeof ActionResult>;

export const ConfigError = z.object({
  version: int32(),
  message: boundedText(MAX_CONFIG_ERROR_LENGTH),
});
export type ConfigError = z.infer<typeof ConfigError>;

/**
 * Features an agent announces in `capabilities`: `token_rotation` — it stores and uses a rotated
 * `agentToken` from a heartbeat answer (the server sends one only to agents that announce this).
 */
export const Capability = { tokenRotation: 'token_rotation' } as const;

/** A lowercase hex SHA-256 (64 digits). */
/** Bounds of a heartbeat's `capabilities`: names and their length. */
export const MAX_CAPABILITIES = 32;
export const MAX_CAPABILITY_LENGTH = 64;
export const SHA256_HEX = /^[0-9a-f]{64}$/;
export const sha256Hex = () => z.string().regex(SHA256_HEX, 'must be 64 lowercase hex digits');

/**
 * What the agent found when the config file it runs no longer matched what it applied: the hash of
 * the file it found (same definition as `runningConfigSha256`), whether it restored the applied
 * config (self-heal) or only reports, and a short note (e.g. why a restore failed).
 */
export const ConfigDrift = z.object({
  foundSha256: sha256Hex(),
  restored: z.boolean(),
  message: boundedText(2000).optional(),
});
export type ConfigDrift = z.infer<typeof ConfigDrift>;

export const HeartbeatRequest = z.object({
  agentVersion: versionText,
  vectorVersion: boundedText(MAX_VERSION_LENGTH),
  appliedConfigVersion: int32(),
  vectorRunning: z.boolean(),
  vectorUptimeSeconds: z.number().min(0).max(MAX_UPTIME_SECONDS),
  configError: ConfigError.nullish(),
  actionResults: z.array(ActionResult).max(100).optional(),
  /**
   * Vector, host and log telemetry (./telemetry.ts). Never refuses the heartbeat: the server
   * parses it part by part with parseTelemetry and drops what is malformed.
   */
  telemetry: z.unknown().optional(),
  /**
   * The applied version's etag (hex) while the config file holds exactly what the agent wrote for it
   * (the config plus its documented additions), else the SHA-256 of the file (README → Drift).
   */
  runningConfigSha256: sha256Hex().optional(),
  /** Sent once after the agent found the config file changed (until a heartbeat carried it). */
  configDrift: ConfigDrift.optional(),
  /** Optional features the agent supports (Capability); unknown names are ignored. */
  capabilities: z.array(boundedText(MAX_CAPABILITY_LENGTH)).max(MAX_CAPABILITIES).optional(),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;

/** Types an operator can queue today; the queue is generic, so a new type is an addition. */
export const ActionType = z.enum([
  'upgrade_agent',
  'restart_vector',
  'validate_config',
  'collect_diagnostics',
]);
export type ActionType = z.infer<typeof ActionType>;

/**
 * What an action does for an agent that is offline when it is created: `deliver` (default) waits
 * for it (status `waiting`) until it is back or the deadline passes; `skip` finishes it as `skipped`.
 */
export const ActionOfflinePolicy = z.enum(['deliver', 'skip']);
export type ActionOfflinePolicy = z.infer<typeof ActionOfflinePolicy>;

/**
 * A `validate_config` payload as an operator queues it: a published version of the agent's own
 * group (the server's validateDraft queues the group's draft instead).
 */
export const ValidateConfigPayload = z.strictObject({ version: int32(1) });
export type ValidateConfigPayload = z.infer<typeof ValidateConfigPayload>;

/**
 * A `validate_config` payload as delivered: `url` is the absolute address of the candidate route
 * (`GET :id/actions/:actionId/candidate`), where the agent fetches the YAML with its own token;
 * `source` says what it is. The YAML never travels in the heartbeat answer.
 */
export const ValidateConfigDelivery = z.object({
  url: z.url(),
  source: z.string().max(64).optional(),
});
export type ValidateConfigDelivery = z.infer<typeof ValidateConfigDelivery>;

/** Longest `output` of a `validate_config` result (what `vector validate` printed, bounded). */
export const MAX_VALIDATE_OUTPUT = 8 * 1024;

/** The `result` of a finished `validate_config` action. */
export const ValidateConfigResult = z.object({
  valid: z.boolean(),
  exitCode: z.number().int().nullable(),
  output: boundedText(MAX_VALIDATE_OUTPUT),
  sha256: sha256Hex(),
});
export type ValidateConfigResult = z.infer<typeof ValidateConfigResult>;

/** Largest diagnostics upload (the whole JSON body), in bytes. */
export const MAX_DIAGNOSTICS_BYTES = 1024 * 1024;
/** Most bytes of each log tail in a diagnostics bundle. */
export const DIAGNOSTICS_LOG_TAIL_BYTES = 64 * 1024;
/** Largest running config in a diagnostics bundle. */
export const DIAGNOSTICS_CONFIG_BYTES = 256 * 1024;

const diagnosticsText = (max: number) => boundedText(max);

/**
 * The body of `POST :id/actions/:actionId/diagnostics`: the bundle the agent collected. Every part
 * but `collectedAt` and the versions is optional (an agent sends what it has). `settings` carries no
 * token, `runningConfig` has secret-looking values redacted (the server also replaces every secret
 * value of the agent's group it finds with its `SECRET[name]` reference before storing).
 */
export const DiagnosticsBundle = z.object({
  collectedAt: z.iso.datetime(),
  agentVersion: versionText,
  vectorVersion: boundedText(MAX_VERSION_LENGTH),
  settings: z.record(z.string().max(64), z.unknown()).optional(),
  state: z.unknown().optional(),
  host: z.record(z.string().max(64), z.unknown()).optional(),
  agentLog: diagnosticsText(DIAGNOSTICS_LOG_TAIL_BYTES).optional(),
  vectorLog: diagnosticsText(DIAGNOSTICS_LOG_TAIL_BYTES).optional(),
  runningConfig: diagnosticsText(DIAGNOSTICS_CONFIG_BYTES).optional(),
  /** Parts the agent could not collect, with why (`"vectorLog: ENOENT"`). */
  problems: z.array(boundedText(500)).max(20).optional(),
});
export type DiagnosticsBundle = z.infer<typeof DiagnosticsBundle>;

/** Answer (201) of the diagnostics upload: the stored bundle's id and size. */
export const DiagnosticsUploadResponse = z.object({
  data: z.object({ id: z.string(), sizeBytes: z.number().int() }),
});
export type DiagnosticsUploadResponse = z.infer<typeof DiagnosticsUploadResponse>;

export const UpgradeAgentPayload = z.object({
  targetVersion: z
    .string()
    .max(64)
    .regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, 'targetVersion must be x.y.z'),
});
export type UpgradeAgentPayload = z.infer<typeof UpgradeAgentPayload>;

/**
 * An `upgrade_agent` payload as delivered in `pendingActions`: the server adds the release's
 * SHA-256 (hex) and the absolute URL of `GET releases/:version`.
 */
export const UpgradeAgentDelivery = UpgradeAgentPayload.extend({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits'),
  url: z.url(),
});
export type UpgradeAgentDelivery = z.infer<typeof UpgradeAgentDelivery>;

/**
 * An action as delivered in `pendingActions`. `type` stays a plain string so an agent can report a
 * type it does not know as `failed`; `payload` depends on the type (UpgradeAgentDelivery).
 */
export const PendingAction = z.object({
  id: z.string(),
  type: z.string(),
  payload: z.record(z.string(), z.unknown()),
});
export type PendingAction = z.infer<typeof PendingAction>;

export const RejectedResult = z.object({ actionId: z.string(), reason: z.string() });
export type RejectedResult = z.infer<typeof RejectedResult>;

export const HeartbeatResponse = z.object({
  data: z.object({
    pendingActions: z.array(PendingAction),
    rejectedResults: z.array(RejectedResult),
    /** Parts of `telemetry` the server dropped (`path: reason`); absent when it kept everything. */
    rejectedTelemetry: z.array(z.string()).optional(),
    /** The group's self-heal setting: false means "report drift, do not restore". Absent: true. */
    selfHeal: z.boolean().optional(),
    /**
     * A rotated agent token: store it (atomically) and use it from the next request on. The old one
     * stays valid until the server has seen the new one.
     */
    agentToken: z.string().optional(),
    /**
     * Fleet settings: the heartbeat and poll intervals (seconds) the agent uses from now on, clamped
     * into HEARTBEAT_INTERVAL_BOUNDS_SECONDS / POLL_INTERVAL_BOUNDS_SECONDS. Absent: its own. A value
     * that is not a number is ignored (never fails the answer).
     */
    heartbeatIntervalSeconds: z.number().optional().catch(undefined),
    pollIntervalSeconds: z.number().optional().catch(undefined),
  }),
});
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;

/** Body of `POST :id/actions` (API token): queue one action for that agent. */
export const CreateActionRequest = z.object({
  type: ActionType,
  payload: jsonObject(),
  /** For an agent offline now: wait for it (default) or skip it. */
  offlinePolicy: ActionOfflinePolicy.optional(),
});
export type CreateActionRequest = z.infer<typeof CreateActionRequest>;

/** Answer (201) of `POST :id/actions`: the queued action, with status `pending`. */
export const CreateActionResponse = z.object({
  data: z.object({ id: z.string(), status: z.string(), type: z.string() }),
});
export type CreateActionResponse = z.infer<typeof CreateActionResponse>;

/**
 * Prefixes of the three token kinds the protocol carries: `EBT_` bootstrap (enrolment) tokens, `AGT_`
 * agent tokens, `FLT_` API tokens (only on `POST :id/actions`).
 */
export const TOKEN_PREFIX = { bootstrap: 'EBT_', agent: 'AGT_', api: 'FLT_' } as const;
