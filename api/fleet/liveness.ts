/**
 * The offline sweep: stamps `wentOfflineAt` when an agent crosses the offline line of
 * agent-status.ts; the next heartbeat clears it, so a brief flap and a long outage can be told apart.
 */
import { Prisma } from '../generated/prisma/client.ts';
import type { FleetContext } from './context.ts';
import { agentStatusSql } from './agent-status.ts';

/**
 * Stamp wentOfflineAt on every agent that crossed the threshold, in one statement, so two replicas
 * sweeping at once stamp each agent once. Publishes agentUpdated for each. Returns how many.
 */
export async function sweepOffline(ctx: FleetContext): Promise<number> {
  const now = ctx.clock();
  const rows = await ctx.db.$queryRaw<{ id: string; group_id: string }[]>(Prisma.sql`
    UPDATE agents AS a SET went_offline_at = ${now}
    WHERE a.revoked_at IS NULL AND a.went_offline_at IS NULL AND ${agentStatusSql('offline', now, ctx.tuning.current.offlineAfterMs)}
    RETURNING a.id, a.group_id`);
  for (const r of rows)
    ctx.events.publish('agentUpdated', { agentId: r.id, groupId: r.group_id, change: 'offline' });
  return rows.length;
}
