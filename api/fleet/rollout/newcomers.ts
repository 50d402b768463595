/**
 * Agents that enrol or move into a group while a config rollout runs there. By default they get
 * the baseline (the previous version, the safe one) like every unpinned agent; with the plan's
 * `newAgents: "new"` they join the current stage, reached at once (pinned to the new version,
 * judged by the gates, reverted with the rest). A moved agent's pin from its old group goes.
 */
import type { Tx } from '../context.ts';
import type { Emit } from '../transaction.ts';
import { storedPlan } from './plan.ts';
import { configReach } from './reach.ts';

/**
 * Settle the pins of `agentIds`, just enrolled in or moved to group `groupId` at `now` (inside the
 * caller's transaction). Rejects only on database errors.
 */
export async function settleNewcomers(
  tx: Tx,
  emit: Emit,
  groupId: string,
  agentIds: string[],
  now: Date,
): Promise<void> {
  if (agentIds.length === 0) return;
  const stale = await tx.agentConfigPin.findMany({
    where: { agentId: { in: agentIds }, groupId: { not: groupId } },
    select: { groupId: true },
    distinct: ['groupId'],
  });
  if (stale.length > 0) {
    await tx.agentConfigPin.deleteMany({ where: { agentId: { in: agentIds }, groupId: { not: groupId } } });
    for (const s of stale) emit('configPinsChanged', { groupId: s.groupId, rolloutId: null });
  }
  const rollout = await tx.rollout.findFirst({
    where: { groupId, kind: 'config', state: { in: ['running', 'soaking'] } },
  });
  if (!rollout || storedPlan(rollout.plan).newAgents !== 'new') return;
  await tx.rolloutAgent.createMany({
    data: agentIds.map((agentId) => ({
      rolloutId: rollout.id,
      agentId,
      stage: rollout.stage,
      assignedAt: now,
    })),
    skipDuplicates: true,
  });
  await tx.rolloutAgent.updateMany({
    where: { rolloutId: rollout.id, agentId: { in: agentIds } },
    data: { stage: rollout.stage, assignedAt: now, revertedAt: null },
  });
  await configReach.assign(tx, emit, rollout, agentIds, now);
}
