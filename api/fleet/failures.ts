/**
 * The failures view: agents whose config status is failed (agent-status.ts), grouped by their
 * config error message, with when it was first reported, when last, the groups it happens in, and
 * the agent query (agent-query.ts) that selects exactly those agents.
 */
import { Prisma } from '../generated/prisma/client.ts';
import type { Tx } from './context.ts';
import { CONFIG_FAILED_SQL, PIN_JOIN } from './agent-status.ts';
import { quoteQueryValue } from './agent-query.ts';

/** At most this many distinct messages are returned (the most frequent first). */
export const MAX_FAILURE_GROUPS = 100;

export interface AgentFailure {
  message: string;
  count: number;
  /** When the earliest of these agents first reported this error. */
  firstSeenAt: Date;
  /** The latest heartbeat of these agents (each heartbeat repeats the error). */
  lastSeenAt: Date;
  groupIds: string[];
  /** An agent query selecting exactly these agents. */
  query: string;
}

interface Row {
  message: string;
  count: number;
  first_seen_at: Date;
  last_seen_at: Date;
  group_ids: string[];
}

/**
 * Failing agents (not revoked) of the fleet, or of group `groupId`, grouped by error message; most
 * agents first, then by message. Rejects only when the database fails.
 */
export async function agentFailures(db: Tx, groupId: string | null): Promise<AgentFailure[]> {
  const inGroup = groupId ? Prisma.sql`AND a.group_id = ${groupId}::uuid` : Prisma.empty;
  const rows = await db.$queryRaw<Row[]>`
    SELECT a.config_error_message AS message, count(*)::int AS count,
      min(COALESCE(a.config_error_at, a.updated_at)) AS first_seen_at,
      max(COALESCE(a.last_heartbeat_at, a.updated_at)) AS last_seen_at,
      array_agg(DISTINCT a.group_id::text) AS group_ids
    FROM agents a JOIN groups g ON g.id = a.group_id ${PIN_JOIN}
    WHERE a.revoked_at IS NULL AND a.config_error_message IS NOT NULL AND ${CONFIG_FAILED_SQL} ${inGroup}
    GROUP BY a.config_error_message
    ORDER BY count(*) DESC, a.config_error_message
    LIMIT ${MAX_FAILURE_GROUPS}`;
  const slug = groupId
    ? (await db.group.findUnique({ where: { id: groupId }, select: { slug: true } }))?.slug
    : undefined;
  const scope = slug === undefined ? '' : ` group:${quoteQueryValue(slug)}`;
  return rows.map((r) => ({
    message: r.message,
    count: r.count,
    firstSeenAt: new Date(r.first_seen_at),
    lastSeenAt: new Date(r.last_seen_at),
    groupIds: r.group_ids,
    query: `configStatus:failed error:${quoteQueryValue(r.message)}${scope}`,
  }));
}
