/**
 * Config drift: the agent reports the SHA-256 of the config file Vector runs (minus its own
 * additions; api/protocol/README.md → Drift), and the server compares it with the etag of the
 * version the agent says it applied. A mismatch marks the agent drifted (`config_drifted_at`, set
 * by the heartbeat flush), a match clears it. What the agent found and whether it restored the file
 * (self-heal, a per-group setting) is recorded in the audit log as `agent.config_drift`.
 */
import type { ConfigDrift, HeartbeatRequest } from '../protocol/v1.ts';
import type { Actor, FleetContext } from './context.ts';
import type { AgentDirectory, AgentEntry } from './agent-directory.ts';
import { recordAudit } from './audit.ts';
import { TRANSACTION_LIMITS } from './transaction.ts';

/** The audit action of a drift an agent reported. */
export const DRIFT_AUDIT_ACTION = 'agent.config_drift';

/**
 * Whether the agent's running config differs from its applied version's rendered bytes: null when
 * that cannot be told (an agent that does not report the hash, nothing applied yet, a just-moved
 * agent whose version numbers belong to its old group, or a version no longer stored).
 */
export async function isDrifted(
  directory: AgentDirectory,
  agent: AgentEntry,
  body: HeartbeatRequest,
): Promise<boolean | null> {
  const known = cachedDriftVerdict(directory, agent, body);
  if (known !== undefined) return known;
  const rendered = await directory.renderedConfig(agent.groupId, body.appliedConfigVersion, agent.platform);
  return rendered ? rendered.etag !== `sha256:${body.runningConfigSha256}` : null;
}

/** isDrifted from memory alone; undefined when the rendered version must be read from the database. */
export function cachedDriftVerdict(
  directory: AgentDirectory,
  agent: AgentEntry,
  body: HeartbeatRequest,
): boolean | null | undefined {
  if (body.runningConfigSha256 === undefined || body.appliedConfigVersion === 0) return null;
  if (agent.configResetPending) return null;
  const rendered = directory.cachedRenderedConfig(agent.groupId, body.appliedConfigVersion, agent.platform);
  return rendered && rendered.etag !== `sha256:${body.runningConfigSha256}`;
}

/** Record a drift the agent reported (audit event, actor: the agent). Rejects when the database fails. */
export async function recordDriftReport(
  ctx: FleetContext,
  agent: AgentEntry,
  appliedConfigVersion: number,
  drift: ConfigDrift,
): Promise<void> {
  const actor: Actor = { type: 'agent', id: agent.id, label: `agent ${agent.id}`, role: null };
  await ctx.db.$transaction(
    (tx) =>
      recordAudit(tx, actor, DRIFT_AUDIT_ACTION, { type: 'agent', id: agent.id }, null, {
        appliedConfigVersion,
        foundSha256: drift.foundSha256,
        restored: drift.restored,
        ...(drift.message ? { message: drift.message } : {}),
      }),
    TRANSACTION_LIMITS,
  );
}
