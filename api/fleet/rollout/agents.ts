/**
 * The agents of a rollout with their state and reason, a page at a time, for the rollout page.
 * Each agent's state is decided in SQL from the same fragments the counts and gates use (its
 * kind's delivered/applied/failed, the plan's silent rule), so a list and its counts agree.
 */
import { Prisma, type Rollout } from '../../generated/prisma/client.ts';
import type { FleetContext } from '../context.ts';
import { onlineSince } from '../agent-status.ts';
import { storedPlan } from './plan.ts';
import { REACH } from './reach.ts';
import { STOPPED_SQL, silentSql } from './progress.ts';
import { inScope } from './scope.ts';

/**
 * An agent's place in a rollout: waiting (its stage has not reached it), offline (not reached,
 * and offline: it gets the version when the rollout is done), in_flight (reached, not delivered),
 * delivered, applied, failed (also after a revert, as the stage counts it), stopped (Vector stopped
 * since), silent, reverted.
 */
export const ROLLOUT_AGENT_STATES = [
  'waiting',
  'offline',
  'in_flight',
  'delivered',
  'applied',
  'failed',
  'stopped',
  'silent',
  'reverted',
] as const;
export type RolloutAgentState = (typeof ROLLOUT_AGENT_STATES)[number];

/** Most agents one page holds. */
export const MAX_ROLLOUT_AGENTS_PAGE = 500;

export interface RolloutAgentRow {
  agentId: string;
  hostname: string;
  stage: number;
  assignedAt: Date | null;
  revertedAt: Date | null;
  state: RolloutAgentState;
  /** For people: the agent's config error, when Vector stopped, when it was last heard of. */
  reason: string;
}

export interface RolloutAgentFilter {
  stage?: number | null;
  state?: RolloutAgentState | null;
  first?: number | null;
  /** The agentId of the last row of the previous page. */
  after?: string | null;
}

/**
 * One page of `rollout`'s agents (still in its group, not revoked), by agent id, as of `now`,
 * with the total matching the filter. Rejects only on database errors.
 */
export async function rolloutAgents(
  ctx: FleetContext,
  rollout: Rollout,
  filter: RolloutAgentFilter,
): Promise<{ rows: RolloutAgentRow[]; total: number; hasNextPage: boolean }> {
  const reach = REACH[rollout.kind];
  if (!reach) return { rows: [], total: 0, hasNextPage: false };
  const now = ctx.clock();
  const plan = storedPlan(rollout.plan);
  const first = Math.min(Math.max(filter.first ?? 100, 1), MAX_ROLLOUT_AGENTS_PAGE);
  // A reached agent that failed the version stays 'failed' after a revert, as the stage counts it.
  const state = Prisma.sql`CASE
      WHEN ra.assigned_at IS NOT NULL AND ${reach.failed(rollout)} THEN 'failed'
      WHEN ra.reverted_at IS NOT NULL THEN 'reverted'
      WHEN ra.assigned_at IS NULL AND (a.last_heartbeat_at IS NULL OR a.last_heartbeat_at < ${onlineSince(now, ctx.tuning.current.offlineAfterMs)})
        THEN 'offline'
      WHEN ra.assigned_at IS NULL THEN 'waiting'
      WHEN ${silentSql(plan, now)} THEN 'silent'
      WHEN ${STOPPED_SQL} THEN 'stopped'
      WHEN ${reach.applied(rollout)} THEN 'applied'
      WHEN ${reach.delivered(rollout)} THEN 'delivered'
      ELSE 'in_flight' END`;
  const base = Prisma.sql`
    SELECT ra.agent_id, a.hostname, ra.stage, ra.assigned_at, ra.reverted_at, ${state} AS state,
      a.config_error_message, a.last_heartbeat_at
    FROM rollout_agents ra JOIN agents a ON a.id = ra.agent_id
    WHERE ra.rollout_id = ${rollout.id}::uuid AND a.revoked_at IS NULL AND ${inScope(rollout)}
      ${filter.stage === null || filter.stage === undefined ? Prisma.empty : Prisma.sql`AND ra.stage = ${filter.stage}`}`;
  const where = filter.state ? Prisma.sql`WHERE s.state = ${filter.state}` : Prisma.empty;
  const [{ total }] = await ctx.db.$queryRaw<{ total: bigint }[]>`
    SELECT count(*) AS total FROM (${base}) s ${where}`;
  const after = filter.after
    ? Prisma.sql`${filter.state ? Prisma.sql`AND` : Prisma.sql`WHERE`} s.agent_id > ${filter.after}::uuid`
    : Prisma.empty;
  const rows = await ctx.db.$queryRaw<
    {
      agent_id: string;
      hostname: string;
      stage: number;
      assigned_at: Date | null;
      reverted_at: Date | null;
      state: RolloutAgentState;
      config_error_message: string | null;
      last_heartbeat_at: Date | null;
    }[]
  >`SELECT * FROM (${base}) s ${where} ${after} ORDER BY s.agent_id LIMIT ${first + 1}`;
  return {
    total: Number(total),
    hasNextPage: rows.length > first,
    rows: rows.slice(0, first).map((r) => ({
      agentId: r.agent_id,
      hostname: r.hostname,
      stage: r.stage,
      assignedAt: r.assigned_at,
      revertedAt: r.reverted_at,
      state: r.state,
      reason: reasonOf(r.state, r.config_error_message, r.last_heartbeat_at),
    })),
  };
}

function reasonOf(state: RolloutAgentState, error: string | null, lastHeartbeatAt: Date | null): string {
  switch (state) {
    case 'failed':
      return error ?? 'failed to apply';
    case 'silent':
    case 'offline':
      return lastHeartbeatAt ? `last heartbeat ${lastHeartbeatAt.toISOString()}` : 'never sent a heartbeat';
    case 'stopped':
      return 'Vector stopped after the version reached it';
    default:
      return '';
  }
}
