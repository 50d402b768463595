/**
 * Read rules for agent lists: what "online", "behind" or "failed" mean as database filters, shared
 * by the GraphQL agents connection, bulk actions by filter and the fleet summary, so every view
 * counts an agent the same way.
 */
import type { FleetContext } from './context.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { OFFLINE_AFTER_MS, type AgentStatus } from './liveness.ts';
import { FleetError, FleetErrorCode } from './errors.ts';
import type { Platform } from '../protocol/v1.ts';

/**
 * How an agent's config relates to its group's newest version: `failed` while it reports a config
 * error, else `up_to_date` once it applied the group's version, else `behind`.
 */
export type ConfigStatus = 'up_to_date' | 'behind' | 'failed';

export interface AgentFilter {
  groupIds?: string[] | null;
  statuses?: AgentStatus[] | null;
  agentVersions?: string[] | null;
  vectorVersions?: string[] | null;
  platforms?: Platform[] | null;
  /** Every label must match exactly. */
  labels?: { key: string; value: string }[] | null;
  configStatuses?: ConfigStatus[] | null;
  /** Case-insensitive substring of the hostname. */
  hostname?: string | null;
  /** Revoked agents are left out unless this is true. */
  includeRevoked?: boolean | null;
}

/** The most agents one bulk request may target (the same cap as createActions). */
export const MAX_BULK_AGENTS = 100_000;

/** The config status of one agent given its group's newest version. */
export function configStatusOf(
  agent: { appliedConfigVersion: number; configErrorVersion: number | null },
  desiredVersion: number,
): ConfigStatus {
  if (agent.configErrorVersion !== null) return 'failed';
  return agent.appliedConfigVersion >= desiredVersion ? 'up_to_date' : 'behind';
}

const nonEmpty = <T>(list: T[] | null | undefined): list is T[] => Array.isArray(list) && list.length > 0;

function statusWhere(statuses: AgentStatus[], now: Date): Prisma.AgentWhereInput {
  const threshold = new Date(now.getTime() - OFFLINE_AFTER_MS);
  const byStatus: Record<AgentStatus, Prisma.AgentWhereInput> = {
    online: { lastHeartbeatAt: { gt: threshold } },
    offline: { lastHeartbeatAt: { lte: threshold } },
    never_seen: { lastHeartbeatAt: null },
  };
  return { OR: [...new Set(statuses)].map((s) => byStatus[s]) };
}

/**
 * Config status compares two tables, so it becomes one condition per group (groups are few): an
 * agent of group g is up to date when its applied version reaches g's current version.
 */
async function configStatusWhere(
  ctx: FleetContext,
  statuses: ConfigStatus[],
  groupIds: string[] | undefined,
): Promise<Prisma.AgentWhereInput> {
  const groups = await ctx.db.group.findMany({
    where: groupIds ? { id: { in: groupIds } } : {},
    select: { id: true, configVersion: true },
  });
  const versionIs = (op: 'gte' | 'lt'): Prisma.AgentWhereInput[] =>
    groups.map((g) => ({ groupId: g.id, appliedConfigVersion: { [op]: g.configVersion } }));
  const byStatus: Record<ConfigStatus, Prisma.AgentWhereInput> = {
    failed: { configErrorVersion: { not: null } },
    up_to_date: { configErrorVersion: null, OR: versionIs('gte') },
    behind: { configErrorVersion: null, OR: versionIs('lt') },
  };
  return { OR: [...new Set(statuses)].map((s) => byStatus[s]) };
}

/**
 * The Prisma `where` selecting the agents that match `filter` as of `now`. Costs one small query
 * (the groups' versions) when config statuses are filtered, none otherwise. Never throws for a
 * well-typed filter; rejects only when the database fails.
 */
export async function agentWhere(
  ctx: FleetContext,
  filter: AgentFilter | null | undefined,
  now: Date,
): Promise<Prisma.AgentWhereInput> {
  const f = filter ?? {};
  const and: Prisma.AgentWhereInput[] = [];
  if (!f.includeRevoked) and.push({ revokedAt: null });
  if (nonEmpty(f.groupIds)) and.push({ groupId: { in: f.groupIds } });
  if (nonEmpty(f.statuses)) and.push(statusWhere(f.statuses, now));
  if (nonEmpty(f.agentVersions)) and.push({ agentVersion: { in: f.agentVersions } });
  if (nonEmpty(f.vectorVersions)) and.push({ vectorVersion: { in: f.vectorVersions } });
  if (nonEmpty(f.platforms)) and.push({ platform: { in: f.platforms } });
  for (const { key, value } of f.labels ?? []) and.push({ labels: { path: [key], equals: value } });
  if (f.hostname?.trim()) and.push({ hostname: { contains: f.hostname.trim(), mode: 'insensitive' } });
  if (nonEmpty(f.configStatuses)) {
    and.push(await configStatusWhere(ctx, f.configStatuses, nonEmpty(f.groupIds) ? f.groupIds : undefined));
  }
  return { AND: and };
}

/**
 * The ids of every non-revoked agent matching `filter` (revoked agents cannot take actions), for
 * bulk requests. Throws validation_failed naming `filter` when nothing or more than
 * MAX_BULK_AGENTS agents match.
 */
export async function findAgentIds(ctx: FleetContext, filter: AgentFilter): Promise<string[]> {
  const where = await agentWhere(ctx, { ...filter, includeRevoked: false }, ctx.clock());
  const rows = await ctx.db.agent.findMany({
    where,
    select: { id: true },
    orderBy: { id: 'asc' },
    take: MAX_BULK_AGENTS + 1,
  });
  if (rows.length === 0 || rows.length > MAX_BULK_AGENTS) {
    const message = rows.length === 0 ? 'matches no agents' : `matches more than ${MAX_BULK_AGENTS} agents`;
    throw new FleetError(FleetErrorCode.validationFailed, `filter: ${message}`, [
      { path: 'filter', message },
    ]);
  }
  return rows.map((r) => r.id);
}
