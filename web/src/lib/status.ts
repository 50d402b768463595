/**
 * Agent status as the dashboard shows it. The rules live on the server (api/fleet/agent-status.ts):
 * the API computes `status` and `configStatus`, and `fleetRules.offlineAfterSeconds` says how long
 * an `online` answer stays true, so a badge can age between updates. Nothing here restates a rule.
 */
import type { ActionStatus, AgentStatus, ConfigStatus } from '../../../codegen/gql/graphql.ts';

export type Liveness = AgentStatus;
export type ConfigState = ConfigStatus;
export type Severity = 'success' | 'warn' | 'danger' | 'secondary' | 'info';

/**
 * The API's `status`, aged to `now`: an `online` answer lapses to `offline` once the last heartbeat
 * is more than the server's threshold old (`offlineAfterSeconds`, from fleetRules; null while
 * unknown, then the API's answer stands), the same boundary the server uses. The sweep's
 * agentUpdated brings the server's own verdict soon after.
 */
export function agedStatus(
  agent: { status: AgentStatus; lastHeartbeatAt?: string | null },
  offlineAfterSeconds: number | null,
  now: Date,
): AgentStatus {
  if (agent.status !== 'online' || offlineAfterSeconds === null || !agent.lastHeartbeatAt)
    return agent.status;
  const expires = Date.parse(agent.lastHeartbeatAt) + offlineAfterSeconds * 1000;
  return now.getTime() > expires ? 'offline' : 'online';
}

export const LIVENESS_LABEL: Record<Liveness, string> = {
  online: 'Online',
  offline: 'Offline',
  never_seen: 'Never seen',
};

export const LIVENESS_SEVERITY: Record<Liveness, Severity> = {
  online: 'success',
  offline: 'danger',
  never_seen: 'secondary',
};

export const CONFIG_LABEL: Record<ConfigState, string> = {
  up_to_date: 'Up to date',
  updating: 'Rolling out',
  behind: 'Behind (offline)',
  failed: 'Failed',
  drifted: 'Drifted',
};

export const CONFIG_SEVERITY: Record<ConfigState, Severity> = {
  up_to_date: 'success',
  updating: 'info',
  behind: 'warn',
  failed: 'danger',
  drifted: 'warn',
};

export type ActionState = ActionStatus;

export const ACTION_SEVERITY: Record<ActionState, Severity> = {
  pending: 'secondary',
  waiting: 'secondary',
  delivered: 'info',
  running: 'info',
  done: 'success',
  failed: 'danger',
  cancelled: 'secondary',
  expired: 'warn',
  skipped: 'secondary',
};

/** An action status as people read it: `waiting` says for whom, `delivered` who has it. */
export function actionStatusLabel(status: ActionState): string {
  if (status === 'waiting') return 'Waiting for agent';
  return status === 'delivered' ? 'Delivered to agent' : humanize(status);
}

/** A label for an enum-like value: `never_seen` → "Never seen". */
export function humanize(value: string): string {
  const words = value.replace(/[_-]+/g, ' ').trim().toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Why an action failed or expired, from its result (`error`, `reason` or `message`), else its status. */
export function actionReason(action: { status: string; result?: unknown; deadline?: string }): string {
  const result = (action.result ?? {}) as Record<string, unknown>;
  for (const key of ['error', 'reason', 'message']) {
    if (typeof result[key] === 'string' && result[key]) return result[key] as string;
  }
  if (action.status === 'expired') return 'The agent did not finish it before the deadline.';
  if (action.status === 'cancelled') return 'Cancelled before the agent picked it up.';
  return action.status === 'failed' ? 'The agent reported a failure without a reason.' : '';
}

/** A one-line description of an action's payload, e.g. "→ 0.2.0" for an upgrade. */
export function actionSummary(action: { type: string; payload?: unknown }): string {
  const payload = (action.payload ?? {}) as Record<string, unknown>;
  if (action.type === 'upgrade_agent' && typeof payload.targetVersion === 'string') {
    return `Upgrade agent to ${payload.targetVersion}`;
  }
  return humanize(action.type);
}
