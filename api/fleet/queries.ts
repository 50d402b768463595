/**
 * Read rules for agent lists: an AgentFilter becomes one Prisma `where` (agentWhere), shared by the
 * GraphQL agents connection and every bulk operation by filter (bulkTargets), so a list and a bulk
 * request over the same filter select the same agents. Statuses come from agent-status.ts.
 */
import { z } from 'zod';
import type { Tx } from './context.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { Platform } from '../protocol/v1.ts';
import { storableText } from './validate.ts';
import {
  AGENT_STATUSES,
  CONFIG_STATUSES,
  agentStatusWhere,
  configStatusesWhere,
  statusGroups,
  type AgentStatus,
  type ConfigStatus,
} from './agent-status.ts';
import { FleetError, FleetErrorCode } from './errors.ts';
import { parseAgentQuery } from './agent-query.ts';
import { compileAgentQuery } from './agent-query-compile.ts';

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
  /** An agent query (agent-query.ts), ANDed with the other conditions. */
  query?: string | null;
}

/** The zod form of AgentFilter, for fleet functions that take a filter as untrusted input. */
export const AgentFilterInput = z.object({
  groupIds: z.array(z.uuid()).nullish(),
  statuses: z.array(z.enum(AGENT_STATUSES)).nullish(),
  agentVersions: z.array(storableText()).nullish(),
  vectorVersions: z.array(storableText()).nullish(),
  platforms: z.array(Platform).nullish(),
  labels: z.array(z.object({ key: storableText(), value: storableText() })).nullish(),
  configStatuses: z.array(z.enum(CONFIG_STATUSES)).nullish(),
  hostname: storableText().nullish(),
  includeRevoked: z.boolean().nullish(),
  query: z.string().nullish(),
}) satisfies z.ZodType<AgentFilter>;

/** The most agents one bulk request (actions, move, revoke) may target. */
export const MAX_BULK_AGENTS = 100_000;

const nonEmpty = <T>(list: T[] | null | undefined): list is T[] => Array.isArray(list) && list.length > 0;

/** Config status compares three tables, so it becomes one condition per group and pinned version (few). */
async function configStatusesOf(
  db: Tx,
  statuses: ConfigStatus[],
  groupIds: string[] | undefined,
  now: Date,
  offlineAfterMs: number,
): Promise<Prisma.AgentWhereInput> {
  return configStatusesWhere(statuses, await statusGroups(db, groupIds), now, offlineAfterMs);
}

/**
 * The Prisma `where` selecting the agents that match `filter` as of `now` (offline threshold
 * `offlineAfterMs`, the fleet setting). Costs one small query (the groups' versions and pins) when
 * config statuses are filtered, none otherwise. Throws AgentQueryError
 * (agent-query.ts) for a malformed `query`; otherwise rejects only when the database fails.
 */
export async function agentWhere(
  db: Tx,
  filter: AgentFilter | null | undefined,
  now: Date,
  offlineAfterMs: number,
): Promise<Prisma.AgentWhereInput> {
  const f = filter ?? {};
  const and: Prisma.AgentWhereInput[] = [];
  if (!f.includeRevoked) and.push({ revokedAt: null });
  if (nonEmpty(f.groupIds)) and.push({ groupId: { in: f.groupIds } });
  if (nonEmpty(f.statuses))
    and.push({ OR: [...new Set(f.statuses)].map((s) => agentStatusWhere(s, now, offlineAfterMs)) });
  if (nonEmpty(f.agentVersions)) and.push({ agentVersion: { in: f.agentVersions } });
  if (nonEmpty(f.vectorVersions)) and.push({ vectorVersion: { in: f.vectorVersions } });
  if (nonEmpty(f.platforms)) and.push({ platform: { in: f.platforms } });
  for (const { key, value } of f.labels ?? []) and.push({ labels: { path: [key], equals: value } });
  if (f.hostname?.trim()) and.push({ hostname: { contains: f.hostname.trim(), mode: 'insensitive' } });
  if (nonEmpty(f.configStatuses)) {
    const groupIds = nonEmpty(f.groupIds) ? f.groupIds : undefined;
    and.push(await configStatusesOf(db, f.configStatuses, groupIds, now, offlineAfterMs));
  }
  if (f.query?.trim()) and.push(await compileAgentQuery(db, parseAgentQuery(f.query), now, offlineAfterMs));
  return { AND: and };
}

/** What a bulk request targets: explicit ids, or every agent matching a filter (exactly one). */
export interface BulkTarget {
  agentIds?: string[] | null;
  filter?: AgentFilter | null;
}

function bulkError(code: FleetErrorCode, path: string, message: string): FleetError {
  return new FleetError(code, `${path}: ${message}`, [{ path, message }]);
}

/**
 * The ids a bulk request targets, read in `db` (pass the request's transaction so the selection and
 * the change are one atomic step). A filter never selects revoked agents (they cannot be changed).
 * Throws validation_failed when both or neither of ids and filter are given, or when nothing is
 * targeted; too_many_agents when more than MAX_BULK_AGENTS are. A filter is read as of `now` with the
 * offline threshold `offlineAfterMs`.
 */
export async function bulkTargets(
  db: Tx,
  target: BulkTarget,
  now: Date,
  offlineAfterMs: number,
): Promise<string[]> {
  const { agentIds, filter } = target;
  if (!agentIds === !filter) {
    throw bulkError(FleetErrorCode.validationFailed, 'agentIds', 'give agentIds or filter, not both');
  }
  let ids: string[];
  if (agentIds) {
    ids = [...new Set(agentIds)];
  } else {
    const rows = await db.agent.findMany({
      where: await agentWhere(db, { ...filter, includeRevoked: false }, now, offlineAfterMs),
      select: { id: true },
      orderBy: { id: 'asc' },
      take: MAX_BULK_AGENTS + 1,
    });
    ids = rows.map((r) => r.id);
  }
  const path = agentIds ? 'agentIds' : 'filter';
  if (ids.length === 0) {
    throw bulkError(
      FleetErrorCode.validationFailed,
      path,
      agentIds ? 'select at least one agent' : 'matches no agents',
    );
  }
  if (ids.length > MAX_BULK_AGENTS) {
    throw bulkError(FleetErrorCode.tooManyAgents, path, `targets more than ${MAX_BULK_AGENTS} agents`);
  }
  return ids;
}
