/**
 * THE agent status rules, written once: liveness (online / offline / never seen) and config status
 * (up to date / updating / behind / failed / drifted). Each rule exists here in the three forms the server needs — a
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
 * Config status, against the agent's DESIRED version: its config pin (agent_config_pins, set by a
 * rollout's stage or revert) if it has one, else its group's baseline (`configVersion`). A pinned
 * agent must run exactly its pin (a revert may pin an OLDER version than it runs); an unpinned one
 * the baseline or newer, as before rollouts:
 *  - failed: the agent reports a config error for its desired version (unpinned: configErrorVersion
 *    >= the baseline; pinned: = the pin). An error about an older version means the agent has not
 *    tried the desired one yet: it is updating or behind, not failed;
 *  - drifted: otherwise, when the config file the agent runs differs from the version it applied
 *    (`configDriftedAt` set by the heartbeat; api/fleet/drift.ts);
 *  - up_to_date: otherwise, when it applied its desired version (unpinned: appliedConfigVersion >=
 *    the baseline; pinned: = the pin);
 *  - updating: otherwise, when it is online: the change is on its way to it ("rolling out");
 *  - behind: otherwise (offline or never seen): behind because it is not there to take the change.
 *  A pin row always belongs to the agent's group: moving or revoking an agent deletes it in the
 *  same transaction (agents.ts).
 *
 * SQL fragments use the aliases `a` (agents), `g` (the agent's group) and `p` (its pin, joined with
 * PIN_JOIN).
 */
import { Prisma } from '../generated/prisma/client.ts';
import type { Tx } from './context.ts';

export const AGENT_STATUSES = ['online', 'offline', 'never_seen'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const CONFIG_STATUSES = ['up_to_date', 'updating', 'behind', 'failed', 'drifted'] as const;
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

/** The version an agent should run, and whether a rollout pinned it (then it must run exactly that). */
export interface DesiredVersion {
  version: number;
  pinned: boolean;
}

/** An agent's desired version from its pin (if any) and its group's baseline. Pure. */
export function desiredVersion(agent: {
  configPin: { version: number } | null;
  group: { configVersion: number };
}): DesiredVersion {
  return agent.configPin
    ? { version: agent.configPin.version, pinned: true }
    : { version: agent.group.configVersion, pinned: false };
}

/** The config status of one agent given its desired version, as of `now`. Pure; never throws. */
export function configStatus(
  agent: {
    appliedConfigVersion: number;
    configErrorVersion: number | null;
    configDriftedAt: Date | null;
    lastHeartbeatAt: Date | null;
  },
  desired: DesiredVersion,
  now: Date,
  offlineAfterMs: number,
): ConfigStatus {
  const { version, pinned } = desired;
  const error = agent.configErrorVersion;
  if (error !== null && (pinned ? error === version : error >= version)) return 'failed';
  if (agent.configDriftedAt !== null) return 'drifted';
  const applied = agent.appliedConfigVersion;
  if (pinned ? applied === version : applied >= version) return 'up_to_date';
  return agentStatus(agent.lastHeartbeatAt, now, offlineAfterMs) === 'online' ? 'updating' : 'behind';
}

/** A group as the Prisma form of config status needs it: its baseline and the versions its agents are pinned to. */
export interface StatusGroup {
  id: string;
  configVersion: number;
  pinVersions: number[];
}

/** The groups (all, or `groupIds`) with their pinned versions, for configStatusWhere: one small query. */
export async function statusGroups(db: Tx, groupIds?: string[]): Promise<StatusGroup[]> {
  const only = groupIds ? Prisma.sql`WHERE g.id = ANY(${groupIds}::uuid[])` : Prisma.empty;
  const rows = await db.$queryRaw<{ id: string; config_version: number; pins: number[] }[]>`
    SELECT g.id::text AS id, g.config_version,
      COALESCE(array_agg(DISTINCT p.version) FILTER (WHERE p.version IS NOT NULL), ARRAY[]::int[]) AS pins
    FROM groups g LEFT JOIN agent_config_pins p ON p.group_id = g.id
    ${only}
    GROUP BY g.id`;
  return rows.map((r) => ({ id: r.id, configVersion: r.config_version, pinVersions: r.pins }));
}

/** The Prisma condition for one desired version: the agents it applies to and how they compare. */
function desiredWhere(
  status: ConfigStatus,
  agents: Prisma.AgentWhereInput,
  failed: Prisma.IntNullableFilter | number,
  notFailed: Prisma.AgentWhereInput,
  reached: Prisma.IntFilter | number,
  notReached: Prisma.IntFilter,
  now: Date,
  offlineAfterMs: number,
): Prisma.AgentWhereInput {
  switch (status) {
    case 'failed':
      return { ...agents, configErrorVersion: failed };
    case 'drifted':
      return { ...agents, configDriftedAt: { not: null }, AND: [notFailed] };
    case 'up_to_date':
      return { ...agents, appliedConfigVersion: reached, configDriftedAt: null, AND: [notFailed] };
    case 'updating':
    case 'behind': {
      const live =
        status === 'updating'
          ? agentStatusWhere('online', now, offlineAfterMs)
          : {
              OR: [
                agentStatusWhere('offline', now, offlineAfterMs),
                agentStatusWhere('never_seen', now, offlineAfterMs),
              ],
            };
      return { ...agents, appliedConfigVersion: notReached, configDriftedAt: null, AND: [notFailed, live] };
    }
  }
}

/**
 * The Prisma condition for agents of `group` in `status` as of `now` (config status compares three
 * tables, so Prisma gets one condition per group and pinned version).
 */
export function configStatusWhere(
  status: ConfigStatus,
  group: StatusGroup,
  now: Date,
  offlineAfterMs: number,
): Prisma.AgentWhereInput {
  const v = group.configVersion;
  const unpinned = desiredWhere(
    status,
    { groupId: group.id, configPin: { is: null } },
    { gte: v },
    { OR: [{ configErrorVersion: null }, { configErrorVersion: { lt: v } }] },
    { gte: v },
    { lt: v },
    now,
    offlineAfterMs,
  );
  const pinned = group.pinVersions.map((p) =>
    desiredWhere(
      status,
      { groupId: group.id, configPin: { is: { version: p } } },
      p,
      { OR: [{ configErrorVersion: null }, { configErrorVersion: { not: p } }] },
      p,
      { not: p },
      now,
      offlineAfterMs,
    ),
  );
  return pinned.length === 0 ? unpinned : { OR: [unpinned, ...pinned] };
}

/** The Prisma condition for agents in any of `statuses` as of `now`, given every relevant group (statusGroups). */
export function configStatusesWhere(
  statuses: readonly ConfigStatus[],
  groups: StatusGroup[],
  now: Date,
  offlineAfterMs: number,
): Prisma.AgentWhereInput {
  return {
    OR: [...new Set(statuses)].flatMap((s) =>
      groups.map((g) => configStatusWhere(s, g, now, offlineAfterMs)),
    ),
  };
}

/** Joins each agent's pin as `p` (after `a`): every statement using configStatusSql needs it. */
export const PIN_JOIN = Prisma.sql`LEFT JOIN agent_config_pins p ON p.agent_id = a.id`;

/** The SQL condition (aliases `a`, `g`, `p`) for config status `failed`, which needs no clock. */
export const CONFIG_FAILED_SQL = Prisma.sql`(a.config_error_version IS NOT NULL AND CASE WHEN p.version IS NULL
    THEN a.config_error_version >= g.config_version ELSE a.config_error_version = p.version END)`;

/** The SQL condition (aliases `a`, `g` and `p`, see PIN_JOIN) for agents in config status `status` as of `now`. */
export function configStatusSql(status: ConfigStatus, now: Date, offlineAfterMs: number): Prisma.Sql {
  const failed = CONFIG_FAILED_SQL;
  const reached = Prisma.sql`(CASE WHEN p.version IS NULL THEN a.applied_config_version >= g.config_version
    ELSE a.applied_config_version = p.version END)`;
  const pending = Prisma.sql`NOT ${failed} AND a.config_drifted_at IS NULL AND NOT ${reached}`;
  const since = onlineSince(now, offlineAfterMs);
  switch (status) {
    case 'failed':
      return failed;
    case 'drifted':
      return Prisma.sql`NOT ${failed} AND a.config_drifted_at IS NOT NULL`;
    case 'up_to_date':
      return Prisma.sql`NOT ${failed} AND a.config_drifted_at IS NULL AND ${reached}`;
    case 'updating':
      return Prisma.sql`${pending} AND a.last_heartbeat_at >= ${since}`;
    case 'behind':
      return Prisma.sql`${pending} AND (a.last_heartbeat_at IS NULL OR a.last_heartbeat_at < ${since})`;
  }
}
