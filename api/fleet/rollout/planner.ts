/**
 * Stage membership, deterministic: the group's agents (not revoked) are ordered by a stable hash of
 * (group id, agent id), so the same plan on the same fleet gives the same stages and the same agents
 * go first each time. Stage sizes are cumulative shares of the group at start: a count or a
 * percentage (rounded up) says how many agents have the version once the stage is done; a selector
 * stage takes every remaining agent whose label matches. The last stage takes everyone left.
 */
import { createHash } from 'node:crypto';
import type { Prisma } from '../../generated/prisma/client.ts';
import type { FleetContext } from '../context.ts';
import { FleetError, FleetErrorCode } from '../errors.ts';
import { agentStatus } from '../agent-status.ts';
import type { RolloutPlan, RolloutStage } from './plan.ts';

/** What the planner needs of an agent. */
export interface PlannedAgent {
  id: string;
  hostname: string;
  labels: Prisma.JsonValue;
  lastHeartbeatAt?: Date | null;
}

/** How many hostnames a preview lists per stage. */
export const PREVIEW_HOSTNAMES = 10;

/** The stable position key of an agent in its group. Pure. */
export function memberKey(groupId: string, agentId: string): string {
  return createHash('sha256').update(`${groupId}:${agentId}`).digest('hex');
}

function matches(agent: PlannedAgent, selector: { key: string; value: string }): boolean {
  const labels = agent.labels;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return false;
  return (labels as Record<string, unknown>)[selector.key] === selector.value;
}

function targetOf(stage: RolloutStage, total: number): number {
  if (stage.count !== undefined) return Math.min(stage.count, total);
  return Math.min(total, Math.ceil(((stage.percent ?? 100) * total) / 100));
}

/**
 * Split `agents` of group `groupId` into the plan's stages (one array per stage, each in hash
 * order). Every agent is in exactly one stage. Pure; never throws.
 */
export function planStages<A extends PlannedAgent>(groupId: string, agents: A[], plan: RolloutPlan): A[][] {
  const ordered = agents
    .map((agent) => ({ agent, key: memberKey(groupId, agent.id) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((o) => o.agent);
  const taken = new Set<string>();
  const remaining = () => ordered.filter((a) => !taken.has(a.id));
  return plan.stages.map((stage, index) => {
    let members: A[];
    if (index === plan.stages.length - 1) members = remaining();
    else if (stage.selector) members = remaining().filter((a) => matches(a, stage.selector!));
    else members = remaining().slice(0, Math.max(0, targetOf(stage, ordered.length) - taken.size));
    for (const a of members) taken.add(a.id);
    return members;
  });
}

/** The group's agents a rollout plans over: not revoked. Rejects only on database errors. */
export function plannableAgents(
  db: Pick<FleetContext['db'], 'agent'>,
  groupId: string,
): Promise<Required<PlannedAgent>[]> {
  return db.agent.findMany({
    where: { groupId, revokedAt: null },
    select: { id: true, hostname: true, labels: true, lastHeartbeatAt: true },
  });
}

export interface StagePreview {
  index: number;
  size: number;
  /** Of them, how many are offline or never seen now (they get the version when they come back). */
  offline: number;
  /** The first PREVIEW_HOSTNAMES hostnames, in the order the stage reaches them. */
  hostnames: string[];
}

export interface RolloutPreview {
  agents: number;
  stages: StagePreview[];
}

/**
 * What starting `plan` on group `groupId` now would do, per stage; writes nothing. Throws
 * group_not_found.
 */
export async function previewRollout(
  ctx: FleetContext,
  groupId: string,
  plan: RolloutPlan,
): Promise<RolloutPreview> {
  const group = await ctx.db.group.findUnique({ where: { id: groupId }, select: { id: true } });
  if (!group) throw new FleetError(FleetErrorCode.groupNotFound, `no group with id ${groupId}`);
  const agents = await plannableAgents(ctx.db, groupId);
  const now = ctx.clock();
  return {
    agents: agents.length,
    stages: planStages(groupId, agents, plan).map((members, index) => ({
      index,
      size: members.length,
      offline: members.filter(
        (a) => agentStatus(a.lastHeartbeatAt, now, ctx.tuning.current.offlineAfterMs) !== 'online',
      ).length,
      hostnames: members.slice(0, PREVIEW_HOSTNAMES).map((a) => a.hostname),
    })),
  };
}
