/**
 * Starting a config rollout when a version is published (publish.ts calls it under the group
 * lock). All at once: the baseline moves to the version at once and configPublished goes out, as
 * before rollouts existed; the rollout is recorded as done. Staged: the baseline stays, stage
 * membership is fixed (planner.ts) and stored in batches, and the first driver step reaches the
 * first agents of stage 1. A rollout of the group still in progress is superseded, and its agents
 * go back to the baseline unless the new rollout reaches them.
 */
import type { Group, Prisma, Rollout } from '../../generated/prisma/client.ts';
import type { Actor, Tx } from '../context.ts';
import type { Emit } from '../transaction.ts';
import { isAllAtOnce, type RolloutPlan } from './plan.ts';
import { planStages, plannableAgents, type PlannedAgent } from './planner.ts';
import { planSeed } from './scope.ts';
import { moveBaseline } from './reach.ts';
import { ACTIVE_ROLLOUT_STATES, moveRollout } from './states.ts';
import { stepRollout } from './driver.ts';

/** How many membership rows one insert writes (a 100,000-agent group takes 20 statements). */
export const MEMBERSHIP_BATCH = 5000;

/**
 * Start the rollout of `version` (just stored) in `group` (locked; its configVersion still the old
 * baseline) with `plan`, by `actor` at `now`. Returns the new rollout and the one it superseded,
 * if any. Rejects only on database errors (the publish then rolls back).
 */
export async function startConfigRollout(
  tx: Tx,
  emit: Emit,
  actor: Actor,
  group: Group,
  version: number,
  plan: RolloutPlan,
  now: Date,
  offlineAfterMs: number,
): Promise<{ rollout: Rollout; superseded: Rollout | null }> {
  const allAtOnce = isAllAtOnce(plan);
  const active = await tx.rollout.findFirst({
    where: { groupId: group.id, kind: 'config', state: { in: [...ACTIVE_ROLLOUT_STATES] } },
  });
  const rollout = await tx.rollout.create({
    data: {
      groupId: group.id,
      kind: 'config',
      version,
      previousVersion: group.configVersion,
      plan: plan as unknown as Prisma.InputJsonValue,
      state: allAtOnce ? 'done' : 'pending',
      stageStartedAt: now,
      finishedAt: allAtOnce ? now : null,
      createdById: actor.id,
      createdBy: actor.label,
    },
  });
  const superseded = active && (await supersede(tx, emit, actor, active, rollout, now));
  if (allAtOnce) {
    await moveBaseline(tx, emit, group.id, version, rollout.id);
    emit('rolloutUpdated', { rolloutId: rollout.id, groupId: group.id, state: rollout.state });
    return { rollout, superseded };
  }
  emit('rolloutUpdated', { rolloutId: rollout.id, groupId: group.id, state: rollout.state });
  await storeMembership(tx, rollout, plan);
  await stepRollout(tx, emit, rollout.id, now, offlineAfterMs, actor);
  return { rollout: await tx.rollout.findUniqueOrThrow({ where: { id: rollout.id } }), superseded };
}

/**
 * Fix the stage membership of `rollout` (just created, any kind) by `plan` over `agents` (default:
 * its group's agents now), in batches of MEMBERSHIP_BATCH rows. Rejects only on database errors.
 */
export async function storeMembership(
  tx: Tx,
  rollout: Rollout,
  plan: RolloutPlan,
  agents?: PlannedAgent[],
): Promise<void> {
  const members = agents ?? (await plannableAgents(tx, rollout.groupId!));
  const stages = planStages(planSeed(rollout), members, plan);
  const rows = stages.flatMap((members, stage) =>
    members.map((a) => ({ rolloutId: rollout.id, agentId: a.id, stage })),
  );
  for (let i = 0; i < rows.length; i += MEMBERSHIP_BATCH) {
    await tx.rolloutAgent.createMany({ data: rows.slice(i, i + MEMBERSHIP_BATCH) });
  }
}

async function supersede(
  tx: Tx,
  emit: Emit,
  actor: Actor,
  active: Rollout,
  next: Rollout,
  now: Date,
): Promise<Rollout> {
  // Its agents that got its version go back to the baseline (pins dropped once they run it).
  const pinned = await tx.agentConfigPin.updateMany({
    where: { rolloutId: active.id, version: { not: active.previousVersion ?? 0 } },
    data: { version: active.previousVersion ?? 0 },
  });
  if (pinned.count > 0) emit('configPinsChanged', { groupId: active.groupId!, rolloutId: active.id });
  return moveRollout(tx, emit, actor, active, {
    to: 'superseded',
    action: 'rollout.supersede',
    reason: `superseded by version ${next.version} (published by ${actor.label})`,
    data: { supersededById: next.id },
    now,
  });
}
