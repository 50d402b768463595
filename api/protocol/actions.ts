/**
 * The action part of protocol v1: the types an operator queues, their payloads as stored and as
 * delivered in a heartbeat answer (`pendingActions`), the results an agent reports, and the bodies of
 * the action routes (create, candidate, diagnostics). A leaf of the protocol (zod only).
 */
import * as z from 'zod';
import { boundedText, int32, jsonObject, MAX_VERSION_LENGTH, sha256Hex, versionText } from './storable.ts';

export const ActionStatusReported = z.enum(['running', 'done', 'failed']);
export type ActionStatusReported = z.infer<typeof ActionStatusReported>;

export const ActionResult = z.object({
  actionId: boundedText(64, { min: 1 }),
  status: ActionStatusReported,
  result: jsonObject().optional(),
});
export type ActionResult = z.infer<typeof ActionResult>;

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
  agentVersion: versionText(),
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

/**
 * The reason of a result refused because its action already ended in `status`. When `status` is
 * the result's own, the server had stored that very result (a heartbeat sent again after its answer
 * was lost, or repeated by a proxy): the agent may treat it as acknowledged.
 */
export function alreadyEndedReason(status: string): string {
  return `action is already ${status}`;
}

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
