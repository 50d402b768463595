/**
 * How a rollout reaches an agent, by kind. The driver (driver.ts) is the same for every kind; a
 * kind says what reaching, reverting and finishing mean and, as SQL over `a` (agents) joined to
 * `ra` (rollout_agents), when an agent counts as delivered, applied or failed. Kind config pins
 * agents (agent_config_pins) to a version; kind upgrade (upgrade-reach.ts) queues upgrade_agent actions.
 */
import { Prisma, type RolloutKind } from '../../generated/prisma/client.ts';
import type { Tx } from '../context.ts';
import type { Emit } from '../transaction.ts';
import { upgradeReach } from './upgrade-reach.ts';
import type { RolloutReach } from './reach-kind.ts';

export type { RolloutReach };

/** What a pin says: agents of group `groupId` get `version` (for rollout `rolloutId`) since `now`. */
export interface PinTarget {
  groupId: string;
  rolloutId: string | null;
  version: number;
  now: Date;
}

/**
 * Pin `agentIds` to `target` (replacing any pin they had) and tell every replica. Rejects only on
 * database errors.
 */
export async function pinAgents(tx: Tx, emit: Emit, target: PinTarget, agentIds: string[]): Promise<void> {
  if (agentIds.length === 0) return;
  const { groupId, rolloutId, version, now } = target;
  await tx.$executeRaw`
    INSERT INTO agent_config_pins (agent_id, group_id, version, rollout_id, created_at)
    SELECT id, ${groupId}::uuid, ${version}, ${rolloutId}::uuid, ${now}
    FROM unnest(${agentIds}::uuid[]) AS t(id)
    ON CONFLICT (agent_id) DO UPDATE
      SET group_id = excluded.group_id, version = excluded.version, rollout_id = excluded.rollout_id,
        created_at = excluded.created_at`;
  emit('configPinsChanged', { groupId, rolloutId });
}

/** Kind config (always of a group): agents are pinned to the version; done moves the group's baseline to it. */
export const configReach: RolloutReach = {
  async assign(tx, emit, rollout, agentIds, now) {
    const target = { groupId: rollout.groupId!, rolloutId: rollout.id, version: rollout.version!, now };
    await pinAgents(tx, emit, target, agentIds);
  },
  async revert(tx, emit, rollout, agentIds, now) {
    const target = {
      groupId: rollout.groupId!,
      rolloutId: rollout.id,
      version: rollout.previousVersion!,
      now,
    };
    await pinAgents(tx, emit, target, agentIds);
  },
  // Pins are withdrawn by revert (or left for the operator to resume); nothing is queued.
  stop: async () => ({}),
  async finish(tx, emit, rollout) {
    await moveBaseline(tx, emit, rollout.groupId!, rollout.version!, rollout.id);
  },
  delivered: (r) => Prisma.sql`coalesce(a.delivered_config_version = ${r.version}, false)`,
  applied: (r) => Prisma.sql`a.applied_config_version = ${r.version}`,
  failed: (r) =>
    Prisma.sql`(coalesce(a.config_error_version = ${r.version}, false) AND a.applied_config_version <> ${r.version})`,
};

/**
 * Make `version` the baseline of group `groupId` (what every unpinned agent gets), delete every pin
 * of the group (they all get the baseline now) and emit configPublished (and configPinsChanged when
 * pins went). Rejects only on database errors.
 */
export async function moveBaseline(
  tx: Tx,
  emit: Emit,
  groupId: string,
  version: number,
  rolloutId: string | null,
): Promise<void> {
  await tx.group.update({ where: { id: groupId }, data: { configVersion: version } });
  const { count } = await tx.agentConfigPin.deleteMany({ where: { groupId } });
  emit('configPublished', { groupId, version });
  if (count > 0) emit('configPinsChanged', { groupId, rolloutId });
}

/** The reach of each kind; kinds without one cannot be driven yet. */
export const REACH: Partial<Record<RolloutKind, RolloutReach>> = {
  config: configReach,
  upgrade: upgradeReach,
};
