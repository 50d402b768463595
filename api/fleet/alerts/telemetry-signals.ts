/**
 * Alert signals on telemetry (fleet/telemetry): they read each agent's latest sample, and only
 * live ones (sampled within the offline threshold; a silent agent is agent_offline's business).
 * Rates are per second over the last heartbeat interval; a baseline sample (first one, or after a
 * gap) has no rates and breaches nothing.
 */
import type { Prisma } from '../../generated/prisma/client.ts';
import { onlineSince } from '../agent-status.ts';
import { decodeLatest } from '../telemetry/read.ts';
import type { AlertSignal, Breach } from './signal.ts';

const live = (
  agents: Prisma.AgentWhereInput,
  now: Date,
  offlineAfterMs: number,
): Prisma.TelemetryLatestWhereInput => ({
  agent: agents,
  sampledAt: { gte: onlineSince(now, offlineAfterMs) },
});

/** Components whose rate of `counter` is above the threshold; the agent's sum pre-filters in SQL. */
function componentRate(counter: 'errors' | 'discarded', label: string): AlertSignal {
  const sumColumn = counter === 'errors' ? 'errorsRate' : 'discardedRate';
  return {
    description: `A component ${label} more than \`threshold\` events per second.`,
    threshold: { unit: 'events/s', description: `${counter} events per second`, min: 0, max: 1e9 },
    async breaches(ctx, agents, threshold, now, limit) {
      const rows = await ctx.db.telemetryLatest.findMany({
        where: {
          ...live(agents, now, ctx.tuning.current.offlineAfterMs),
          [sumColumn]: { gt: threshold ?? 0 },
        },
        select: {
          agentId: true,
          componentSet: true,
          totals: true,
          rates: true,
          buffers: true,
          agent: { select: { hostname: true } },
        },
        orderBy: { agentId: 'asc' },
      });
      const breaches: Breach[] = [];
      for (const row of await decodeLatest(ctx, rows)) {
        for (const c of row.components) {
          const rate = c.rates?.[counter];
          if (rate === undefined || rate <= (threshold ?? 0)) continue;
          breaches.push({
            subject: `${row.agentId}/${c.id}`,
            agentId: row.agentId,
            value: rate,
            summary: `${row.agent.hostname}: ${c.kind} ${c.id} ${label} ${rate.toFixed(2)} events/s`,
          });
          if (breaches.length === limit) return breaches;
        }
      }
      return breaches;
    },
  };
}

/** Agents whose events out per second are 0 (their pipeline delivers nothing); `for` says how long. */
const throughputZero: AlertSignal = {
  description: 'An agent sends no events out; set `forSeconds` to how long that may last.',
  threshold: null,
  async breaches(ctx, agents, _threshold, now, limit) {
    const rows = await ctx.db.telemetryLatest.findMany({
      where: { ...live(agents, now, ctx.tuning.current.offlineAfterMs), eventsOutRate: 0 },
      select: { agentId: true, agent: { select: { hostname: true } } },
      orderBy: { agentId: 'asc' },
      take: limit,
    });
    return rows.map((r) => ({
      subject: r.agentId,
      agentId: r.agentId,
      value: 0,
      summary: `${r.agent.hostname}: no events out`,
    }));
  },
};

/**
 * Agents whose data-dir filesystem is fuller than `threshold` percent. Reads the disk figures of
 * every live agent in scope (three numbers each), since the percentage is computed here.
 */
const diskUsage: AlertSignal = {
  description: 'The filesystem of an agent’s data directory is more than `threshold` percent full.',
  threshold: { unit: 'percent', description: 'percent of the filesystem used', min: 1, max: 100 },
  async breaches(ctx, agents, threshold, now, limit) {
    const rows = await ctx.db.telemetryLatest.findMany({
      where: {
        ...live(agents, now, ctx.tuning.current.offlineAfterMs),
        diskTotalBytes: { gt: 0 },
        diskUsedBytes: { not: null },
      },
      select: {
        agentId: true,
        diskUsedBytes: true,
        diskTotalBytes: true,
        agent: { select: { hostname: true } },
      },
      orderBy: { agentId: 'asc' },
    });
    const breaches: Breach[] = [];
    for (const r of rows) {
      const percent = (Number(r.diskUsedBytes) / Number(r.diskTotalBytes)) * 100;
      if (percent <= (threshold ?? 100)) continue;
      breaches.push({
        subject: r.agentId,
        agentId: r.agentId,
        value: Math.round(percent * 10) / 10,
        summary: `${r.agent.hostname}: disk ${percent.toFixed(1)} % full`,
      });
      if (breaches.length === limit) break;
    }
    return breaches;
  },
};

/** The telemetry signals by kind (signals.ts adds them to SIGNALS). */
export const TELEMETRY_SIGNALS = {
  component_error_rate: componentRate('errors', 'reports errors at'),
  events_discarded: componentRate('discarded', 'discards'),
  throughput_zero: throughputZero,
  disk_usage: diskUsage,
} satisfies Record<string, AlertSignal>;
