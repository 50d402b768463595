/**
 * Where a rollout stands, per stage, in ONE aggregate over rollout_agents ⋈ agents (no query per
 * agent, so it stays quick at 10,000 agents and more). Agents revoked or moved out of the group
 * since the rollout started are left out. The same counts feed the driver, the gates and the API.
 */
import { Prisma, type Rollout } from '../../generated/prisma/client.ts';
import type { Tx } from '../context.ts';
import { DEFAULT_HEARTBEAT_INTERVAL_SECONDS } from '../../protocol/v1.ts';
import { onlineSince } from '../agent-status.ts';
import type { RolloutPlan } from './plan.ts';
import type { RolloutReach } from './reach.ts';
import { inScope } from './scope.ts';

/** Counts of one stage. */
export interface StageProgress {
  index: number;
  /** Agents of the stage (still in the group, not revoked). */
  size: number;
  /** The stage reached them: pinned (or their action queued). */
  reached: number;
  delivered: number;
  applied: number;
  failed: number;
  /** Reached, and Vector reported stopped since. */
  stopped: number;
  /** Reached, and no heartbeat for silentAfterHeartbeats intervals. */
  silent: number;
  /** Reached but neither applied, failed nor silent: still on its way. */
  inFlight: number;
  /** Not reached yet, and online (the driver may reach them). */
  waiting: number;
  /** Pinned back by a revert. */
  reverted: number;
}

/** The oldest heartbeat that is not silent for the plan's silent gate, as of `now`. */
export function silentSince(plan: RolloutPlan, now: Date): Date {
  return new Date(
    now.getTime() - plan.gates.silentAfterHeartbeats * DEFAULT_HEARTBEAT_INTERVAL_SECONDS * 1000,
  );
}

/** SQL over `a` and `ra`: the agent is silent for `plan` as of `now`. */
export function silentSql(plan: RolloutPlan, now: Date): Prisma.Sql {
  return Prisma.sql`(a.last_heartbeat_at IS NULL OR a.last_heartbeat_at < ${silentSince(plan, now)})`;
}

/** SQL over `a` and `ra` (never NULL): Vector reported stopped since the rollout reached the agent. */
export const STOPPED_SQL = Prisma.sql`(a.vector_running = false AND coalesce(a.last_heartbeat_at > ra.assigned_at, false))`;

/**
 * The counts of every stage of `rollout` (`stages` entries, index order) as of `now`. Rejects only
 * on database errors.
 */
export async function stageProgress(
  db: Pick<Tx, '$queryRaw'>,
  rollout: Rollout,
  plan: RolloutPlan,
  reach: RolloutReach,
  now: Date,
  offlineAfterMs: number,
): Promise<StageProgress[]> {
  const reached = Prisma.sql`ra.assigned_at IS NOT NULL`;
  const applied = reach.applied(rollout);
  const failed = reach.failed(rollout);
  const silent = silentSql(plan, now);
  const rows = await db.$queryRaw<Record<string, number | bigint>[]>`
    SELECT ra.stage AS index,
      count(*) AS size,
      count(*) FILTER (WHERE ${reached}) AS reached,
      count(*) FILTER (WHERE ${reached} AND ${reach.delivered(rollout)}) AS delivered,
      count(*) FILTER (WHERE ${reached} AND ${applied}) AS applied,
      count(*) FILTER (WHERE ${reached} AND ${failed}) AS failed,
      count(*) FILTER (WHERE ${reached} AND ${STOPPED_SQL}) AS stopped,
      count(*) FILTER (WHERE ${reached} AND ${silent}) AS silent,
      count(*) FILTER (WHERE ${reached} AND ra.reverted_at IS NULL AND NOT ${applied} AND NOT ${failed}
        AND NOT ${silent}) AS in_flight,
      count(*) FILTER (WHERE ra.assigned_at IS NULL AND a.last_heartbeat_at >= ${onlineSince(now, offlineAfterMs)}) AS waiting,
      count(*) FILTER (WHERE ra.reverted_at IS NOT NULL) AS reverted
    FROM rollout_agents ra JOIN agents a ON a.id = ra.agent_id
    WHERE ra.rollout_id = ${rollout.id}::uuid AND a.revoked_at IS NULL AND ${inScope(rollout)}
    GROUP BY ra.stage`;
  const byStage = new Map(rows.map((r) => [Number(r.index), r]));
  return plan.stages.map((_, index) => {
    const r = byStage.get(index);
    const n = (key: string) => Number(r?.[key] ?? 0);
    return {
      index,
      size: n('size'),
      reached: n('reached'),
      delivered: n('delivered'),
      applied: n('applied'),
      failed: n('failed'),
      stopped: n('stopped'),
      silent: n('silent'),
      inFlight: n('in_flight'),
      waiting: n('waiting'),
      reverted: n('reverted'),
    };
  });
}
