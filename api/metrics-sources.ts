/**
 * Where /metrics' scrape-time gauges read from (metrics.ts): the app's in-memory parts, two small
 * database reads (agents by status, open alerts), and the event-bus probe — every `probeMs` this
 * replica publishes a `busProbe` message and times its own message's arrival, so the lag includes
 * the Redis round trip when REDIS_URL is set (and one clock, so no skew between replicas).
 */
import { randomUUID } from 'node:crypto';
import type { Db } from './db.ts';
import type { FleetContext } from './fleet/context.ts';
import type { HeartbeatBuffer } from './fleet/heartbeats.ts';
import type { LongPolls } from './rest/long-poll.ts';
import type { GraphqlMount } from './graphql/mount.ts';
import type { MetricSources } from './metrics.ts';
import { AGENT_STATUSES, agentStatusWhere } from './fleet/agent-status.ts';

export interface MetricSourceParts {
  ctx: FleetContext;
  db: Db;
  longPolls: LongPolls;
  heartbeats: HeartbeatBuffer;
  graphql: GraphqlMount;
}

/** The sources, plus start()/stop() of the bus probe. Never fails; a lost probe leaves the last lag. */
export function createMetricSources(
  parts: MetricSourceParts,
  probeMs: number,
): MetricSources & { start(): void; stop(): void } {
  const { ctx } = parts;
  const replica = randomUUID();
  let lagSeconds: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  const probe = () => ctx.events.publish('busProbe', { replica, sentAtMs: performance.now() });
  return {
    heldLongPolls: () => parts.longPolls.size,
    websocket: () => parts.graphql.stats(),
    heartbeatBufferRows: () => parts.heartbeats.size,
    databasePool: () => parts.db.poolStats(),
    eventBusLagSeconds: () => lagSeconds,
    async agentsByStatus() {
      const now = ctx.clock();
      const counts = await Promise.all(
        AGENT_STATUSES.map((s) =>
          ctx.db.agent.count({
            where: { revokedAt: null, ...agentStatusWhere(s, now, ctx.tuning.current.offlineAfterMs) },
          }),
        ),
      );
      return Object.fromEntries(AGENT_STATUSES.map((s, i) => [s, counts[i]]));
    },
    alerts: () => countByState(ctx.db.alertInstance, ['pending', 'firing']),
    alertDeliveries: () => countByState(ctx.db.alertDelivery, ['pending', 'failed']),
    start() {
      unsubscribe = ctx.events.subscribe('busProbe', (p) => {
        if (p.replica === replica) lagSeconds = (performance.now() - p.sentAtMs) / 1000;
      });
      probe();
      timer = setInterval(probe, probeMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      unsubscribe?.();
    },
  };
}

/** Rows of `states` in a table with a `state` column, every state present (0 when none). */
async function countByState<S extends string>(
  table: {
    groupBy(args: {
      by: ['state'];
      where: { state: { in: S[] } };
      _count: { _all: true };
    }): Promise<{ state: string; _count: { _all: number } }[]>;
  },
  states: S[],
): Promise<Record<string, number>> {
  const rows = await table.groupBy({
    by: ['state'],
    where: { state: { in: states } },
    _count: { _all: true },
  });
  return Object.fromEntries(states.map((s) => [s, rows.find((r) => r.state === s)?._count._all ?? 0]));
}
