/**
 * The agents an upgrade rollout targets: a group's (groupId), or a selection made on the agents list
 * (agentIds, or a filter resolved like every bulk request: queries.ts → bulkTargets, same cap). The
 * upgrade rollouts already in progress on any of them, which a new one supersedes.
 */
import { z } from 'zod';
import type { Prisma } from '../../generated/prisma/client.ts';
import type { Tx } from '../context.ts';
import { FleetError, FleetErrorCode } from '../errors.ts';
import { findGroupForUpdate } from '../group-lock.ts';
import { AgentFilterInput, bulkTargets } from '../queries.ts';
import { Version } from '../releases.ts';
import { ACTIVE_ROLLOUT_STATES } from './states.ts';

export const StartUpgradeRolloutInput = z
  .object({
    groupId: z.uuid().nullish(),
    agentIds: z.array(z.uuid()).nullish(),
    filter: AgentFilterInput.nullish(),
    release: Version,
    plan: z.unknown().optional(),
  })
  .refine((d) => [d.groupId, d.agentIds, d.filter].filter((v) => v != null).length === 1, {
    message: 'give exactly one of groupId, agentIds or filter',
    path: ['groupId'],
  });
export type StartUpgradeRolloutInput = z.infer<typeof StartUpgradeRolloutInput>;

/** What an upgrade plans over and records of an agent. */
export interface UpgradeAgent {
  id: string;
  hostname: string;
  labels: Prisma.JsonValue;
  lastHeartbeatAt: Date | null;
  agentVersion: string | null;
}

/** The resolved target of an upgrade rollout. */
export interface UpgradeTargets {
  /** The group (null: a selection). */
  groupId: string | null;
  /** How a selection was made, as stored on the rollout (null for a group). */
  selection: Prisma.InputJsonObject | null;
  agents: UpgradeAgent[];
}

const SELECT = { id: true, hostname: true, labels: true, lastHeartbeatAt: true, agentVersion: true } as const;

/**
 * Resolve the target of `data` at `now` (the group locked when `lock`, inside a transaction). Fails
 * with group_not_found, validation_failed (a selection matching nothing), too_many_agents or
 * agent_not_found (an id unknown or revoked).
 */
export async function upgradeTargets(
  db: Tx,
  data: StartUpgradeRolloutInput,
  now: Date,
  offlineAfterMs: number,
  lock: boolean,
): Promise<UpgradeTargets> {
  if (data.groupId) {
    const groupId = data.groupId;
    if (lock) await findGroupForUpdate(db, groupId);
    else if (!(await db.group.findUnique({ where: { id: groupId }, select: { id: true } })))
      throw new FleetError(FleetErrorCode.groupNotFound, `no group with id ${groupId}`);
    const agents = await db.agent.findMany({ where: { groupId, revokedAt: null }, select: SELECT });
    return { groupId, selection: null, agents };
  }
  const ids = await bulkTargets(db, data, now, offlineAfterMs);
  const agents = await db.agent.findMany({ where: { id: { in: ids }, revokedAt: null }, select: SELECT });
  if (agents.length !== ids.length)
    throw new FleetError(FleetErrorCode.agentNotFound, 'some agents do not exist or are revoked');
  const selection = data.filter
    ? { filter: data.filter as Prisma.InputJsonObject }
    : { agentIds: data.agentIds!.length };
  return { groupId: null, selection, agents };
}

/**
 * The upgrade rollouts in progress that a new one on `targets` supersedes: the group's, and any
 * with one of the agents as a member. Rejects only on database errors.
 */
export async function overlappingUpgrades(db: Tx, targets: UpgradeTargets): Promise<string[]> {
  const ids = targets.agents.map((a) => a.id);
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT r.id FROM rollouts r
    WHERE r.kind = 'upgrade' AND r.state::text = ANY(${[...ACTIVE_ROLLOUT_STATES]}::text[])
      AND (r.group_id = ${targets.groupId}::uuid OR EXISTS (
        SELECT 1 FROM rollout_agents ra WHERE ra.rollout_id = r.id AND ra.agent_id = ANY(${ids}::uuid[])))
    ORDER BY r.created_at`;
  return rows.map((r) => r.id);
}
