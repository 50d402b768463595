/**
 * THE agent status rules, written once: liveness (online / offline / never seen) and config status
 * (up to date / behind / failed). Each rule exists here in the three forms the server needs — a
 * TypeScript predicate (GraphQL fields), a Prisma `where` (lists, counts, bulk by filter) and a SQL
 * fragment (the summary aggregate, the offline sweep) — and test/fleet/agent-status.test.ts proves
 * the three agree at every boundary on both databases. The dashboard reads the statuses from the
 * API and the threshold from `fleetRules`; it keeps no copy.
 *
 * Liveness, as of `now`, with the threshold `offlineAfterMs` (the fleet setting offlineAfterSeconds,
 * settings-rules.ts; callers pass `ctx.tuning.current.offlineAfterMs`, never a constant):
 *  - never_seen: no heartbeat yet (`lastHeartbeatAt` is null);
 *  - online: the last heartbeat is at most offlineAfterMs old (age <= threshold, so an agent
 *    whose heartbeat is exactly offlineAfterMs old is still online);
 *  - offline: the last heartbeat is older than that (age > threshold).
 *  A heartbeat stamped after `now` (clock skew between replicas) counts as online.
 *
 * Config status, against the agent's group's newest version `desired`:
 *  - failed: the agent reports a config error for the newest version (configErrorVersion >=
 *    desired). An error about an older version means the agent has not tried the newest one yet:
 *    it is behind, not failed (the agent fetches newer versions after a failure);
 *  - drifted: otherwise, when the config file the agent runs differs from the version it applied
 *    (`configDriftedAt` set by the heartbeat; api/fleet/drift.ts);
 *  - up_to_date: otherwise, when it applied the newest version (appliedConfigVersion >= desired);
 *  - behind: everything else (including just-moved agents, whose applied version resets to 0).
 *
 * SQL fragments use the aliases `a` (agents) and `g` (the agent's group).
 */
import { Prisma } from '../generated/prisma/client.ts';

export const AGENT_STATUSES = ['online', 'offline', 'never_seen'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const CONFIG_STATUSES = ['up_to_date', 'behind', 'failed', 'drifted'] as const;
export type ConfigStatus = (typeof CONFIG_STATUSES)[number];

/** The oldest heartbeat time that still counts as online as of `now`. */
export function onlineSince(now: Date, offlineAfterMs: number): Date {
  return new Date(now.getTime() - offlineAfterMs);
}

/** The status of an agent from its last heartbeat time, as of `now`. Pure; never throws. */
export function agentStatus(lastHeartbeatAt: Date | null, now: Date, offlineAfterMs: number): AgentStatus {
  if (!lastHeartbeatAt) return 'never_seen';
  return lastHeartbeatAt.getTime() < onlineSince(now, offlineAfterMs).getTime() ? 'offline' : 'online';
}

/** The Prisma condition for agents in `status` as of `now`. */
export function agentStatusWhere(
  status: AgentStatus,
  now: Date,
  offlineAfterMs: number,
): Prisma.AgentWhereInput {
  const since = onlineSince(now, offlineAfterMs);
  switch (status) {
    case 'online':
      return { lastHeartbeatAt: { gte: since } };
    case 'offline':
      return { lastHeartbeatAt: { lt: since } };
    case 'never_seen':
      return { lastHeartbeatAt: null };
  }
}

/** The SQL condition (on alias `a`) for agents in `status` as of `now`; a bound parameter, no text. */
export function agentStatusSql(status: AgentStatus, now: Date, offlineAfterMs: number): Prisma.Sql {
  const since = onlineSince(now, offlineAfterMs);
  switch (status) {
    case 'online':
      return Prisma.sql`a.last_heartbeat_at >= ${since}`;
    case 'offline':
      return Prisma.sql`a.last_heartbeat_at < ${since}`;
    case 'never_seen':
      return Prisma.sql`a.last_heartbeat_at IS NULL`;
  }
}

/** The config status of one agent given its group's newest version. Pure; never throws. */
export function configStatus(
  agent: { appliedConfigVersion: number; configErrorVersion: number | null; configDriftedAt: Date | null },
  desiredVersion: number,
): ConfigStatus {
  if (agent.configErrorVersion !== null && agent.configErrorVersion >= desiredVersion) return 'failed';
  if (agent.configDriftedAt !== null) return 'drifted';
  return agent.appliedConfigVersion >= desiredVersion ? 'up_to_date' : 'behind';
}

/**
 * The Prisma condition for agents of the group whose newest version is `desiredVersion` that are in
 * `status` (config status compares two tables, so Prisma gets one condition per group).
 */
export function configStatusWhere(
  status: ConfigStatus,
  group: { id: string; configVersion: number },
): Prisma.AgentWhereInput {
  const v = group.configVersion;
  const notFailed: Prisma.AgentWhereInput = {
    OR: [{ configErrorVersion: null }, { configErrorVersion: { lt: v } }],
  };
  switch (status) {
    case 'failed':
      return { groupId: group.id, configErrorVersion: { gte: v } };
    case 'drifted':
      return { groupId: group.id, configDriftedAt: { not: null }, AND: [notFailed] };
    case 'up_to_date':
      return { groupId: group.id, appliedConfigVersion: { gte: v }, configDriftedAt: null, AND: [notFailed] };
    case 'behind':
      return { groupId: group.id, appliedConfigVersion: { lt: v }, configDriftedAt: null, AND: [notFailed] };
  }
}

/** The Prisma condition for agents in any of `statuses`, given every relevant group's newest version. */
export function configStatusesWhere(
  statuses: readonly ConfigStatus[],
  groups: { id: string; configVersion: number }[],
): Prisma.AgentWhereInput {
  return { OR: [...new Set(statuses)].flatMap((s) => groups.map((g) => configStatusWhere(s, g))) };
}

/** The SQL condition (aliases `a` and `g`) for agents in config status `status`. */
export function configStatusSql(status: ConfigStatus): Prisma.Sql {
  const failed = Prisma.sql`a.config_error_version IS NOT NULL AND a.config_error_version >= g.config_version`;
  switch (status) {
    case 'failed':
      return failed;
    case 'drifted':
      return Prisma.sql`NOT (${failed}) AND a.config_drifted_at IS NOT NULL`;
    case 'up_to_date':
      return Prisma.sql`NOT (${failed}) AND a.config_drifted_at IS NULL AND a.applied_config_version >= g.config_version`;
    case 'behind':
      return Prisma.sql`NOT (${failed}) AND a.config_drifted_at IS NULL AND a.applied_config_version < g.config_version`;
  }
}
