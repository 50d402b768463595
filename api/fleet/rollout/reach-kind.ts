/**
 * The contract of a rollout kind (config, upgrade): what reaching, reverting and finishing mean, and
 * when an agent counts as delivered, applied or failed. A leaf, so reach.ts (the registry) and each
 * kind's file can import it without a cycle.
 */
import type { Prisma, Rollout } from '../../generated/prisma/client.ts';
import type { Tx } from '../context.ts';
import type { Emit } from '../transaction.ts';

export interface RolloutReach {
  /** Give the rollout's target to `agentIds` (their stage reached them) at `now`. */
  assign(tx: Tx, emit: Emit, rollout: Rollout, agentIds: string[], now: Date): Promise<void>;
  /** Give `agentIds` what they had before the rollout back, at `now`. */
  revert(tx: Tx, emit: Emit, rollout: Rollout, agentIds: string[], now: Date): Promise<void>;
  /**
   * The rollout stops at `now` (halted, reverted or cancelled): withdraw what was queued but not
   * yet handed to an agent. Resolves figures for the stop's audit entry.
   */
  stop(tx: Tx, emit: Emit, rollout: Rollout, now: Date): Promise<Record<string, number>>;
  /** The rollout is done at `now`: make its target what every agent of the group gets. */
  finish(tx: Tx, emit: Emit, rollout: Rollout, now: Date): Promise<void>;
  /** SQL over `a` (never NULL): the agent got the target (a 200 with it, or the action handed over). */
  delivered(rollout: Rollout): Prisma.Sql;
  /** SQL over `a` (never NULL): the agent runs the target. */
  applied(rollout: Rollout): Prisma.Sql;
  /** SQL over `a` (never NULL): the agent reported it cannot run the target. */
  failed(rollout: Rollout): Prisma.Sql;
}
