/**
 * The agent protocol, version 1: the one wire contract between the server (api/rest) and
 * flotilla-agent (agent/transport). A leaf module: it imports only zod, so the agent bundle can
 * include it without pulling in the server. See ../../README.md → "Agent protocol" and protocol.md.
 */
import { z } from 'zod';

export const BASE_PATH = '/api/v1/agents';

/** Paths of every route, as the server matches them and the agent builds them. */
export const paths = {
  enrol: `${BASE_PATH}/enrol`,
  config: (agentId: string) => `${BASE_PATH}/${encodeURIComponent(agentId)}/config`,
  heartbeat: (agentId: string) => `${BASE_PATH}/${encodeURIComponent(agentId)}/heartbeat`,
  actions: (agentId: string) => `${BASE_PATH}/${encodeURIComponent(agentId)}/actions`,
  release: (version: string) => `${BASE_PATH}/releases/${encodeURIComponent(version)}`,
} as const;

/** Response headers of the config route. */
export const headers = {
  configVersion: 'x-config-version',
  configEtag: 'x-config-etag',
  longPollMax: 'x-long-poll-max',
  releaseSha256: 'x-release-sha256',
} as const;

export const MAX_BODY_BYTES = 64 * 1024;
export const DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 30;
export const DEFAULT_POLL_INTERVAL_SECONDS = 10;
export const LONG_POLL_MAX_SECONDS = 60;
export const MAX_PENDING_ACTIONS = 10;
export const YAML_CONTENT_TYPE = 'application/yaml';
/** The body of a config with nothing to run: the agent stops Vector. */
export const EMPTY_CONFIG = '{}';

/** Machine-readable error codes; clients branch on these, never on the message. */
export const ErrorCode = {
  invalidBody: 'invalid_body',
  invalidQuery: 'invalid_query',
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
  releaseNotFound: 'release_not_found',
  notFound: 'not_found',
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

const shortText = z.string().trim().min(1).max(255);
const versionText = z.string().trim().min(1).max(64);

export const EnrolRequest = z.object({
  bootstrapToken: z.string().min(1).max(512),
  hostname: shortText,
  platform: Platform,
  os: z.string().max(255),
  kernel: z.string().max(255),
  agentVersion: versionText,
  vectorVersion: z.string().max(64),
  groupSlug: z.string().min(1).max(64).optional(),
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
  actionId: z.string().min(1).max(64),
  status: ActionStatusReported,
  result: z.record(z.string(), z.unknown()).optional(),
});
export type ActionResult = z.infer<typeof ActionResult>;

export const ConfigError = z.object({
  version: z.number().int().min(0),
  message: z.string().max(16 * 1024),
});
export type ConfigError = z.infer<typeof ConfigError>;

export const HeartbeatRequest = z.object({
  agentVersion: versionText,
  vectorVersion: z.string().max(64),
  appliedConfigVersion: z.number().int().min(0),
  vectorRunning: z.boolean(),
  vectorUptimeSeconds: z.number().min(0),
  configError: ConfigError.nullish(),
  actionResults: z.array(ActionResult).max(100).optional(),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;

export const ActionType = z.enum(['upgrade_agent']);
export type ActionType = z.infer<typeof ActionType>;

export const UpgradeAgentPayload = z.object({
  targetVersion: z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, 'targetVersion must be x.y.z'),
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
  }),
});
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;

/** Body of `POST :id/actions` (API token): queue one action for that agent. */
export const CreateActionRequest = z.object({
  type: ActionType,
  payload: z.record(z.string(), z.unknown()),
});
export type CreateActionRequest = z.infer<typeof CreateActionRequest>;

export const CreateActionResponse = z.object({
  data: z.object({ id: z.string(), status: z.string(), type: z.string() }),
});
export type CreateActionResponse = z.infer<typeof CreateActionResponse>;

/** Prefixes of the two token kinds the protocol carries. */
export const TOKEN_PREFIX = { bootstrap: 'EBT_', agent: 'AGT_', api: 'FLT_' } as const;
