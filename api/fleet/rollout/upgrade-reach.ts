/**
 * How a kind upgrade rollout reaches an agent: an upgrade_agent action to the rollout's release,
 * tied to the rollout by its bulk id (the rollout's id). An agent counts as delivered once its
 * action was handed over, applied once it reports the release as its agentVersion, failed when
 * its action failed, expired or was skipped, or is done while the agent still reports another
 * version (a cancelled action is no failure of its agent: a halt, a supersede or an operator
 * withdrew it before delivery). Binaries are never reverted; a halt cancels the actions not yet
 * handed to their agents (pending, waiting) and lets delivered ones finish. Members the stages did not reach (offline then)
 * get their action when the rollout finishes; it waits for them until the action deadline.
 */
import { Prisma, type Rollout } from '../../generated/prisma/client.ts';
import { SYSTEM_ACTOR, type Tx } from '../context.ts';
import type { Emit } from '../transaction.ts';
import { queueActions } from '../actions.ts';
import { transitionActions } from '../action-states.ts';
import type { RolloutReach } from './reach-kind.ts';
import { inScope } from './scope.ts';

/** SQL over `a`: the agent has rollout `r`'s upgrade action in one of `statuses`. */
const actionIn = (r: Rollout, statuses: string[]) => Prisma.sql`EXISTS (
  SELECT 1 FROM actions x WHERE x.bulk_id = ${r.id}::uuid AND x.agent_id = a.id
    AND x.status::text = ANY(${statuses}::text[]))`;

const onRelease = (r: Rollout) => Prisma.sql`a.agent_version = ${r.release}`;

/**
 * SQL over `a`: rollout `r`'s action is done and the agent's stored state is from that heartbeat or
 * a later one (results are written at once, versions in the next flush: until then the old version
 * on record says nothing).
 */
const doneButOld = (r: Rollout) => Prisma.sql`EXISTS (
  SELECT 1 FROM actions x WHERE x.bulk_id = ${r.id}::uuid AND x.agent_id = a.id
    AND x.status = 'done' AND a.last_heartbeat_at >= x.finished_at)`;

/**
 * Queue upgrade_agent actions to the rollout's release for `agentIds` (bulk id: the rollout):
 * pending when the driver reached them `online`, else waiting for them (the delivery sweep moves
 * either way as they come and go).
 */
async function queueUpgrades(
  tx: Tx,
  emit: Emit,
  rollout: Rollout,
  agentIds: string[],
  now: Date,
  online: boolean,
) {
  if (agentIds.length === 0) return;
  const release = await tx.agentRelease.findUnique({
    where: { version: rollout.release! },
    select: { sha256: true },
  });
  const payload = { targetVersion: rollout.release!, sha256: release?.sha256 ?? '' };
  const agents = await tx.agent.findMany({
    where: { id: { in: agentIds } },
    select: { id: true, lastHeartbeatAt: true },
  });
  await queueActions(tx, emit, SYSTEM_ACTOR, {
    type: 'upgrade_agent',
    agents,
    payloads: new Map(agents.map((a) => [a.id, payload])),
    bulk: true,
    bulkId: rollout.id,
    offlinePolicy: 'deliver',
    deadline: new Date(now.getTime() + (rollout.actionDeadlineSeconds ?? 0) * 1000),
    now,
    offlineAfterMs: online ? now.getTime() : 0,
    audit: { rolloutId: rollout.id },
  });
}

/** Kind upgrade: an upgrade_agent action per agent reached; no revert of binaries. */
export const upgradeReach: RolloutReach = {
  assign: (tx, emit, rollout, agentIds, now) => queueUpgrades(tx, emit, rollout, agentIds, now, true),
  async revert() {
    // Binaries are not reverted (upgrade plans have revertOnFailure off).
  },
  async stop(tx, emit, rollout, now) {
    const cancelled = await transitionActions(
      tx,
      Prisma.sql`bulk_id = ${rollout.id}::uuid`,
      'cancelled',
      now,
      emit,
    );
    const inFlight = await tx.action.count({
      where: { bulkId: rollout.id, status: { in: ['delivered', 'running'] } },
    });
    return { actionsCancelled: cancelled.length, actionsInFlight: inFlight };
  },
  async finish(tx, emit, rollout, now) {
    // Members the stages did not reach (offline then): their action waits for them until the deadline.
    const rows = await tx.$queryRaw<{ agent_id: string }[]>`
      SELECT ra.agent_id FROM rollout_agents ra JOIN agents a ON a.id = ra.agent_id
      WHERE ra.rollout_id = ${rollout.id}::uuid AND ra.assigned_at IS NULL
        AND a.revoked_at IS NULL AND ${inScope(rollout)}`;
    const ids = rows.map((r) => r.agent_id);
    await tx.rolloutAgent.updateMany({
      where: { rolloutId: rollout.id, agentId: { in: ids } },
      data: { assignedAt: now },
    });
    await queueUpgrades(tx, emit, rollout, ids, now, false);
  },
  delivered: (r) =>
    Prisma.sql`(${onRelease(r)} OR ${actionIn(r, ['delivered', 'running', 'done', 'failed'])})`,
  applied: onRelease,
  failed: (r) => Prisma.sql`(NOT ${onRelease(r)} AND (
    ${actionIn(r, ['failed', 'expired', 'skipped'])} OR ${doneButOld(r)}))`,
};
