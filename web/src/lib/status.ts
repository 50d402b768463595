/**
 * Agent status as the dashboard shows it. Liveness follows the server's rule: an agent is offline
 * once its last heartbeat is older than five minutes (OFFLINE_AFTER_MS in api/protocol, which web
 * code may not import), and "never seen" before its first heartbeat. Config status compares the
 * group's newest config version with the one the agent applied.
 */

export const OFFLINE_AFTER_MS = 5 * 60 * 1000;

export type Liveness = 'online' | 'offline' | 'never_seen';
export type ConfigState = 'up_to_date' | 'behind' | 'failed';
export type Severity = 'success' | 'warn' | 'danger' | 'secondary' | 'info';

/** Liveness from the last heartbeat time (ISO string or null) as of `now`. */
export function livenessOf(lastHeartbeatAt: string | null | undefined, now: Date): Liveness {
  if (!lastHeartbeatAt) return 'never_seen';
  const age = now.getTime() - new Date(lastHeartbeatAt).getTime();
  return age > OFFLINE_AFTER_MS ? 'offline' : 'online';
}

/**
 * Config state of an agent: failed when the agent reported a config error for the desired version,
 * up to date when it applied the desired version, behind otherwise.
 */
export function configStateOf(agent: {
  desiredConfigVersion: number;
  appliedConfigVersion: number;
  configErrorVersion?: number | null;
}): ConfigState {
  if (agent.configErrorVersion != null && agent.configErrorVersion >= agent.desiredConfigVersion)
    return 'failed';
  return agent.appliedConfigVersion >= agent.desiredConfigVersion ? 'up_to_date' : 'behind';
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
  behind: 'Behind',
  failed: 'Failed',
};

export const CONFIG_SEVERITY: Record<ConfigState, Severity> = {
  up_to_date: 'success',
  behind: 'warn',
  failed: 'danger',
};

export type ActionState = 'pending' | 'running' | 'done' | 'failed' | 'cancelled' | 'expired';

export const ACTION_SEVERITY: Record<ActionState, Severity> = {
  pending: 'secondary',
  running: 'info',
  done: 'success',
  failed: 'danger',
  cancelled: 'secondary',
  expired: 'warn',
};

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
