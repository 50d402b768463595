/**
 * Alert signals: what a rule of each kind watches. A signal is one entry of SIGNALS — its kind, what
 * its threshold means and the bounds the threshold must lie in, and `breaches`, which lists the
 * subjects (agents, or components of agents) over the threshold right now among the agents in
 * scope. The evaluator (evaluate.ts) turns breaches into pending / firing / resolved alerts; a new
 * signal is one more entry here, nothing else.
 *
 * The kinds here read the agents table (liveness, config status, Vector state, versions) through
 * the one home of each rule (agent-status.ts); telemetry-signals.ts adds those on telemetry.
 */
import type { Prisma } from '../../generated/prisma/client.ts';
import { agentStatusWhere, configStatus, desiredVersion, onlineSince } from '../agent-status.ts';
import { TELEMETRY_SIGNALS } from './telemetry-signals.ts';
import type { AlertSignal } from './signal.ts';

/** Most subjects one rule tracks at once; more breaching agents than this are left out (stated in the README). */
export const MAX_ALERT_SUBJECTS_PER_RULE = 500;

const MINUTE = 60_000;

/** Agents that have not sent a heartbeat for more than `threshold` minutes (never-seen ones excluded). */
const agentOffline: AlertSignal = {
  description: 'An agent has sent no heartbeat for more than `threshold` minutes.',
  threshold: { unit: 'minutes', description: 'minutes without a heartbeat', min: 1, max: 7 * 24 * 60 },
  async breaches(ctx, agents, threshold, now, limit) {
    const before = new Date(now.getTime() - (threshold ?? 0) * MINUTE);
    const rows = await ctx.db.agent.findMany({
      where: { AND: [agents, { lastHeartbeatAt: { lt: before } }] },
      select: { id: true, hostname: true, lastHeartbeatAt: true },
      orderBy: { lastHeartbeatAt: 'asc' },
      take: limit,
    });
    return rows.map((a) => {
      const minutes = Math.floor((now.getTime() - (a.lastHeartbeatAt as Date).getTime()) / MINUTE);
      return {
        subject: a.id,
        agentId: a.id,
        value: minutes,
        summary: `${a.hostname}: no heartbeat for ${minutes} minutes`,
      };
    });
  },
};

/** Agents whose newest config failed on them (config status `failed`). */
const configFailed: AlertSignal = {
  description:
    'An agent reports that its desired config version (the newest of its group, or its rollout pin) failed.',
  threshold: null,
  async breaches(ctx, agents, _threshold, now, limit) {
    const rows = await ctx.db.agent.findMany({
      where: { AND: [agents, { configErrorVersion: { not: null } }] },
      select: {
        id: true,
        hostname: true,
        appliedConfigVersion: true,
        configErrorVersion: true,
        configErrorMessage: true,
        configDriftedAt: true,
        lastHeartbeatAt: true,
        group: { select: { configVersion: true } },
        configPin: { select: { version: true } },
      },
      orderBy: { id: 'asc' },
    });
    return rows
      .filter((a) => configStatus(a, desiredVersion(a), now, ctx.tuning.current.offlineAfterMs) === 'failed')
      .slice(0, limit)
      .map((a) => ({
        subject: a.id,
        agentId: a.id,
        value: a.configErrorVersion,
        summary: `${a.hostname}: config version ${a.configErrorVersion} failed: ${(a.configErrorMessage ?? '').slice(0, 200)}`,
      }));
  },
};

/** Online agents that report Vector is not running (offline agents are agent_offline's business). */
const vectorNotRunning: AlertSignal = {
  description: 'An online agent reports that Vector is not running.',
  threshold: null,
  async breaches(ctx, agents, _threshold, now, limit) {
    const rows = await ctx.db.agent.findMany({
      where: {
        AND: [
          agents,
          agentStatusWhere('online', now, ctx.tuning.current.offlineAfterMs),
          { vectorRunning: false },
        ],
      },
      select: { id: true, hostname: true },
      orderBy: { id: 'asc' },
      take: limit,
    });
    return rows.map((a) => ({
      subject: a.id,
      agentId: a.id,
      value: null,
      summary: `${a.hostname}: Vector is not running`,
    }));
  },
};

type VersionField = 'agentVersion' | 'vectorVersion';

/**
 * Online agents in scope whose `field` differs from the scope's most common version (ties: the
 * version sorting last), so one straggler after an upgrade, or a host left behind, shows up.
 */
function versionDrift(field: VersionField, label: string): AlertSignal {
  return {
    description: `An online agent runs another ${label} version than most agents in scope.`,
    threshold: null,
    async breaches(ctx, agents, _threshold, now, limit) {
      const scope: Prisma.AgentWhereInput = {
        AND: [agents, { lastHeartbeatAt: { gte: onlineSince(now, ctx.tuning.current.offlineAfterMs) } }],
      };
      const counts = await ctx.db.agent.groupBy({ by: [field], where: scope, _count: { _all: true } });
      if (counts.length < 2) return [];
      const usual = counts.reduce((best, c) =>
        c._count._all > best._count._all || (c._count._all === best._count._all && c[field] > best[field])
          ? c
          : best,
      )[field];
      const rows = await ctx.db.agent.findMany({
        where: { AND: [scope, { [field]: { not: usual } }] },
        select: { id: true, hostname: true, agentVersion: true, vectorVersion: true },
        orderBy: { id: 'asc' },
        take: limit,
      });
      return rows.map((a) => ({
        subject: a.id,
        agentId: a.id,
        value: null,
        summary: `${a.hostname}: ${label} ${a[field]}, most agents run ${usual}`,
      }));
    },
  };
}

/** Every signal by kind: THE list of alert kinds (GraphQL's AlertKind enum and the dashboard read it). */
export const SIGNALS = {
  agent_offline: agentOffline,
  config_failed: configFailed,
  vector_not_running: vectorNotRunning,
  agent_version_drift: versionDrift('agentVersion', 'agent'),
  vector_version_drift: versionDrift('vectorVersion', 'Vector'),
  ...TELEMETRY_SIGNALS,
} satisfies Record<string, AlertSignal>;

export type AlertKind = keyof typeof SIGNALS;

/** The kinds, in a stable order. */
export const ALERT_KINDS = Object.keys(SIGNALS) as AlertKind[];
