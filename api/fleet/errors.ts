/**
 * Expected failures of the fleet domain. Each carries a stable `code` that REST answers in
 * `{"error":{"code","message"}}` and GraphQL maps to a typed error; clients branch on the code.
 * Codes the agent protocol also answers are taken from its ErrorCode (api/protocol/v1.ts), their
 * one home; the rest are the fleet's own.
 */
import { ErrorCode } from '../protocol/v1.ts';

export const FleetErrorCode = {
  validationFailed: 'validation_failed',
  /** A bulk request targets more agents than queries.ts → MAX_BULK_AGENTS. */
  tooManyAgents: 'too_many_agents',
  groupNotFound: ErrorCode.groupNotFound,
  /** The group has no draft pipeline (nothing to publish or discard). */
  draftNotFound: 'draft_not_found',
  /** The draft changed since the revision the client edited (the message names who changed it). */
  draftConflict: 'draft_conflict',
  /** No component with that id in the draft. */
  componentNotFound: 'component_not_found',
  /** No published pipeline version with that number in the group. */
  versionNotFound: 'version_not_found',
  /** The content to publish equals the published version: no version is created. */
  nothingToPublish: 'nothing_to_publish',
  agentNotFound: ErrorCode.agentNotFound,
  actionNotFound: ErrorCode.actionNotFound,
  /** The action is final (or of another type): it takes no more candidate fetches or uploads. */
  actionNotActive: ErrorCode.actionNotActive,
  /** A validate_config candidate cannot be delivered (a secret it references does not resolve). */
  candidateUnavailable: ErrorCode.candidateUnavailable,
  userNotFound: 'user_not_found',
  tokenNotFound: 'token_not_found',
  releaseNotFound: ErrorCode.releaseNotFound,
  conflict: 'conflict',
  groupNotEmpty: 'group_not_empty',
  configInvalid: 'config_invalid',
  bootstrapTokenInvalid: ErrorCode.bootstrapTokenInvalid,
  bootstrapTokenExpired: ErrorCode.bootstrapTokenExpired,
  bootstrapTokenExhausted: ErrorCode.bootstrapTokenExhausted,
  /** An enrolment key whose agent was heard from or revoked: a retry would take over a live identity. */
  enrolmentKeyUsed: ErrorCode.enrolmentKeyUsed,
  tokenRevoked: ErrorCode.tokenRevoked,
  invalidTransition: 'invalid_transition',
  invalidCredentials: 'invalid_credentials',
  forbidden: ErrorCode.forbidden,
  groupOverrideForbidden: ErrorCode.groupOverrideForbidden,
  /** A guarded component type (policy.ts) the group's admin has not enabled. */
  componentNotAllowed: 'component_not_allowed',
  /** A path option outside the group's allowed prefixes, or inside a denied directory. */
  pathNotAllowed: 'path_not_allowed',
  /** A sensitive option (token, password, …) holds a literal instead of `SECRET[name]`. */
  secretRequired: 'secret_required',
  secretNotFound: 'secret_not_found',
  /** A secret still referenced by a group's pipeline cannot be deleted. */
  secretInUse: 'secret_in_use',
  /** FLOTILLA_SECRET_KEY is not set, so secrets can be neither stored nor read. */
  secretKeyMissing: 'secret_key_missing',
  alertRuleNotFound: 'alert_rule_not_found',
  alertSilenceNotFound: 'alert_silence_not_found',
  channelNotFound: 'channel_not_found',
  rolloutNotFound: 'rollout_not_found',
} as const;
export type FleetErrorCode = (typeof FleetErrorCode)[keyof typeof FleetErrorCode];

/** One problem with one field of the input; `path` is dotted (`options.mode`, `maxUses`). */
export interface FieldIssue {
  path: string;
  message: string;
}

export class FleetError extends Error {
  readonly code: FleetErrorCode;
  readonly issues: FieldIssue[];

  constructor(code: FleetErrorCode, message: string, issues: FieldIssue[] = []) {
    super(message);
    this.name = 'FleetError';
    this.code = code;
    this.issues = issues;
  }
}

/** Build the validation error for a list of field issues; the message names the first field. */
export function validationError(issues: FieldIssue[]): FleetError {
  const first = issues[0];
  const message = first ? `${first.path}: ${first.message}` : 'invalid input';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new FleetError(FleetErrorCode.validationFailed, message + more, issues);
}

/** True when `error` is Prisma's unique-constraint violation (P2002). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2002';
}
