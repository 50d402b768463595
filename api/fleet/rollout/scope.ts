/**
 * What a rollout targets: a group (config rollouts, and upgrades of a group), or an agent selection
 * (upgrades chosen on the agents list, by ids or by filter; groupId null). A group rollout's members
 * count while they stay in the group; a selection's members are its rollout_agents wherever they move.
 */
import { Prisma, type Rollout } from '../../generated/prisma/client.ts';

/** The member-order seed of a selection rollout (a group rollout's is its group id). */
export const SELECTION_SEED = 'selection';

/** The seed planner.ts orders a rollout's members by: its group's id, or SELECTION_SEED. Pure. */
export function planSeed(rollout: Pick<Rollout, 'groupId'>): string {
  return rollout.groupId ?? SELECTION_SEED;
}

/** SQL over `a` (never NULL): the member agent still counts (still in the group, for a group rollout). */
export function inScope(rollout: Pick<Rollout, 'groupId'>): Prisma.Sql {
  return rollout.groupId ? Prisma.sql`a.group_id = ${rollout.groupId}::uuid` : Prisma.sql`TRUE`;
}
