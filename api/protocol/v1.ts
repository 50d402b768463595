/**
 * The agent protocol, version 1: the one wire contract between the server (api/rest) and
 * flotilla-agent (agent/transport): routes, headers, limits, error codes, enrolment, config and
 * heartbeat bodies. The action shapes live in ./actions.ts, the storage bounds of every field in
 * ./storable.ts. Leaf modules: they import only zod, so the agent bundle can include them without
 * pulling in the server. The reference for agent authors is ./README.md.
 */
import * as z from 'zod';
import { ActionResult, PendingAction, RejectedResult } from './actions.ts';
import {
  boundedText,
  int32,
  MAX_UPTIME_SECONDS,
  MAX_VERSION_LENGTH,
  sha256Hex,
  versionText,
} from './storable.ts';

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

/** An enrolment key: 16–64 letters, digits, `-` or `_` (a UUID fits). */
export const ENROLMENT_KEY_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

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
  enrolmentKeyUsed: 'enrolment_key_used',
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

/** Longest configError message. */
export const MAX_CONFIG_ERROR_LENGTH = 16 * 1024;

const shortText = boundedText(255, { min: 1, trim: true });

export const EnrolRequest = z.object({
  bootstrapToken: boundedText(512, { min: 1 }),
  hostname: shortText,
  platform: Platform,
  os: boundedText(255),
  kernel: boundedText(255),
  agentVersion: versionText(),
  vectorVersion: boundedText(64),
  /** Enrol into this group instead of the token's own; only tokens minted to allow it accept another group. */
  groupSlug: boundedText(64, { min: 1 }).optional(),
  /**
   * The agent's own random key for this enrolment, sent again with each retry of it: a retry whose
   * first attempt was stored but not answered gets the same agent (with a new token) instead of a
   * second one, while that agent was never heard from.
   */
  enrolmentKey: z
    .string()
    .regex(ENROLMENT_KEY_PATTERN, 'enrolmentKey must be 16–64 letters, digits, - or _')
    .optional(),
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

/** Bounds of a heartbeat's `capabilities`: names and their length. */
export const MAX_CAPABILITIES = 32;
export const MAX_CAPABILITY_LENGTH = 64;

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
  agentVersion: versionText(),
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

/**
 * Prefixes of the three token kinds the protocol carries: `EBT_` bootstrap (enrolment) tokens, `AGT_`
 * agent tokens, `FLT_` API tokens (only on `POST :id/actions`).
 */
export const TOKEN_PREFIX = { bootstrap: 'EBT_', agent: 'AGT_', api: 'FLT_' } as const;
