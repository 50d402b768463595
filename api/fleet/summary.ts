/**
 * The fleet summary: agent counts by liveness status, agent and Vector version, config status and
 * group (rollout progress: how many agents run their desired config version, agent-status.ts). Counted by the
 * database in three aggregate statements, never by loading agents. Revoked agents are not counted.
 */
import { Prisma } from '../generated/prisma/client.ts';
import type { FleetContext } from './context.ts';
import { PIN_JOIN, agentStatusSql, configStatusSql } from './agent-status.ts';

export interface GroupRollout {
  groupId: string;
  slug: string;
  name: string;
  /** The group's newest config version. */
  configVersion: number;
  agents: number;
  online: number;
  offline: number;
  neverSeen: number;
  /** Agents running their desired version (the rollout's progress). */
  upToDate: number;
  /** Online agents not yet on their desired version (it is on its way). */
  updating: number;
  /** Offline or never seen agents not on their desired version. */
  behind: number;
  failed: number;
  drifted: number;
}

export interface VersionCount {
  version: string;
  count: number;
}

export interface FleetSummary {
  /** Set when the summary is limited to one group. */
  groupId: string | null;
  agents: number;
  online: number;
  offline: number;
  neverSeen: number;
  upToDate: number;
  updating: number;
  behind: number;
  failed: number;
  drifted: number;
  agentVersions: VersionCount[];
  vectorVersions: VersionCount[];
  groups: GroupRollout[];
}

type RolloutRow = {
  group_id: string;
  slug: string;
  name: string;
  config_version: number;
  agents: number;
  online: number;
  offline: number;
  never_seen: number;
  up_to_date: number;
  updating: number;
  behind: number;
  failed: number;
  drifted: number;
};

const COUNTED = [
  'agents',
  'online',
  'offline',
  'neverSeen',
  'upToDate',
  'updating',
  'behind',
  'failed',
  'drifted',
] as const;

/**
 * Count the fleet (or one group's agents when `groupId` is given) as of the context's clock. The
 * statuses are agent-status.ts's SQL fragments. Rejects only when the
 * database fails; an unknown group gives an empty summary.
 */
export async function fleetSummary(ctx: FleetContext, groupId: string | null = null): Promise<FleetSummary> {
  const now = ctx.clock();
  const offlineAfterMs = ctx.tuning.current.offlineAfterMs;
  const [rows, agentVersions, vectorVersions] = await Promise.all([
    ctx.db.$queryRaw<RolloutRow[]>(Prisma.sql`
      SELECT g.id::text AS group_id, g.slug, g.name, g.config_version,
        count(a.id)::int AS agents,
        count(a.id) FILTER (WHERE ${agentStatusSql('online', now, offlineAfterMs)})::int AS online,
        count(a.id) FILTER (WHERE ${agentStatusSql('offline', now, offlineAfterMs)})::int AS offline,
        count(a.id) FILTER (WHERE ${agentStatusSql('never_seen', now, offlineAfterMs)})::int AS never_seen,
        count(a.id) FILTER (WHERE ${configStatusSql('up_to_date', now, offlineAfterMs)})::int AS up_to_date,
        count(a.id) FILTER (WHERE ${configStatusSql('updating', now, offlineAfterMs)})::int AS updating,
        count(a.id) FILTER (WHERE ${configStatusSql('behind', now, offlineAfterMs)})::int AS behind,
        count(a.id) FILTER (WHERE ${configStatusSql('failed', now, offlineAfterMs)})::int AS failed,
        count(a.id) FILTER (WHERE ${configStatusSql('drifted', now, offlineAfterMs)})::int AS drifted
      FROM groups g
      LEFT JOIN agents a ON a.group_id = g.id AND a.revoked_at IS NULL
      ${PIN_JOIN}
      WHERE ${groupId}::uuid IS NULL OR g.id = ${groupId}::uuid
      GROUP BY g.id
      ORDER BY g.slug`),
    versionCounts(ctx, 'agent_version', groupId),
    versionCounts(ctx, 'vector_version', groupId),
  ]);
  const groups: GroupRollout[] = rows.map((r) => ({
    groupId: r.group_id,
    slug: r.slug,
    name: r.name,
    configVersion: r.config_version,
    agents: r.agents,
    online: r.online,
    offline: r.offline,
    neverSeen: r.never_seen,
    upToDate: r.up_to_date,
    updating: r.updating,
    behind: r.behind,
    failed: r.failed,
    drifted: r.drifted,
  }));
  const totals = Object.fromEntries(
    COUNTED.map((k) => [k, groups.reduce((sum, g) => sum + g[k], 0)]),
  ) as Record<(typeof COUNTED)[number], number>;
  return { groupId, ...totals, agentVersions, vectorVersions, groups };
}

async function versionCounts(
  ctx: FleetContext,
  column: 'agent_version' | 'vector_version',
  groupId: string | null,
): Promise<VersionCount[]> {
  const rows = await ctx.db.$queryRawUnsafe<{ version: string; count: number }[]>(
    `SELECT ${column} AS version, count(*)::int AS count FROM agents
     WHERE revoked_at IS NULL AND ($1::uuid IS NULL OR group_id = $1::uuid)
     GROUP BY ${column} ORDER BY count DESC, version`,
    groupId,
  );
  return rows;
}
