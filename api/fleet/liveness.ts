/**
 * Liveness: an agent is offline once its last heartbeat is older than OFFLINE_AFTER_MS (one shared
 * constant). The sweep stamps `wentOfflineAt` when an agent crosses the line; the next heartbeat
 * clears it, so a brief flap and a long outage can be told apart.
 */
import type { FleetContext } from './context.ts';
import { OFFLINE_AFTER_MS } from '../protocol/v1.ts';

export { OFFLINE_AFTER_MS };

export type AgentStatus = 'online' | 'offline' | 'never_seen';

/** The status of an agent from its last heartbeat time, as of `now`. */
export function agentStatus(lastHeartbeatAt: Date | null, now: Date): AgentStatus {
  if (!lastHeartbeatAt) return 'never_seen';
  return now.getTime() - lastHeartbeatAt.getTime() > OFFLINE_AFTER_MS ? 'offline' : 'online';
}

/**
 * Stamp wentOfflineAt on every agent that crossed the threshold, in one statement, so two replicas
 * sweeping at once stamp each agent once. Publishes agentUpdated for each. Returns how many.
 */
export async function sweepOffline(ctx: FleetContext): Promise<number> {
  const now = ctx.clock();
  const threshold = new Date(now.getTime() - OFFLINE_AFTER_MS);
  const rows = await ctx.db.$queryRaw<{ id: string; group_id: string }[]>`
    UPDATE agents SET went_offline_at = ${now}
    WHERE revoked_at IS NULL AND went_offline_at IS NULL AND last_heartbeat_at < ${threshold}
    RETURNING id, group_id`;
  for (const r of rows)
    ctx.events.publish('agentUpdated', { agentId: r.id, groupId: r.group_id, change: 'offline' });
  return rows.length;
}
