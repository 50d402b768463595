/**
 * Rollout test fixtures: a group with many agents written straight to the database (as if they
 * had enrolled and sent a heartbeat at `now`), publishing a changed pipeline with a plan, and
 * making agents "report" what they run, without an HTTP round trip per agent.
 */
import { randomUUID } from 'node:crypto';
import { CLI_ACTOR, type FleetContext } from '../../api/fleet/context.ts';
import { applyPipeline } from '../../api/fleet/pipeline/code.ts';
import { documentYaml } from '../../api/fleet/pipeline/code.ts';
import { publishedDocument } from '../../api/fleet/publish.ts';
import { createGroupWithPipeline } from './factories.ts';

/** A group (pipeline version 2) with `count` online agents running version 2; `labels(i)` labels agent i. */
export async function groupWithAgents(
  ctx: FleetContext,
  count: number,
  labels: (i: number) => Record<string, string> = () => ({}),
) {
  const group = await createGroupWithPipeline(ctx);
  const now = ctx.clock();
  const agents = Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    groupId: group.id,
    tokenHash: randomUUID(),
    hostname: `host-${String(i).padStart(4, '0')}`,
    hostnameSortKey: `host-${String(i).padStart(4, '0')}`,
    platform: 'linux' as const,
    os: 'linux',
    kernel: '6.1',
    agentVersion: '1.0.0',
    vectorVersion: '0.40.0',
    labels: labels(i),
    appliedConfigVersion: group.configVersion,
    vectorRunning: true,
    lastHeartbeatAt: now,
  }));
  for (let i = 0; i < agents.length; i += 5000) {
    await ctx.db.agent.createMany({ data: agents.slice(i, i + 5000) });
  }
  return { group, agentIds: agents.map((a) => a.id) };
}

let change = 0;

/** Publish the group's pipeline with a changed option (a new version) using `plan`; returns the version. */
export async function publishChange(ctx: FleetContext, groupId: string, plan?: unknown): Promise<number> {
  change += 1;
  const { components } = await publishedDocument(ctx.db, groupId);
  const changed = components.map((c) =>
    c.id === 'demo' ? { ...c, options: { ...c.options, count: change } } : c,
  );
  const yaml = documentYaml({ components: changed });
  const result = await applyPipeline(ctx, CLI_ACTOR, { groupId, yaml, message: `change ${change}`, plan });
  return result.version;
}

/** The rollout of `version` in the group. */
export function rolloutOf(ctx: FleetContext, groupId: string, version: number) {
  return ctx.db.rollout.findFirstOrThrow({ where: { groupId, kind: 'config', version } });
}

/** Agents pinned to `version` in the group. */
export async function pinnedTo(ctx: FleetContext, groupId: string, version: number): Promise<string[]> {
  const pins = await ctx.db.agentConfigPin.findMany({
    where: { groupId, version },
    select: { agentId: true },
  });
  return pins.map((p) => p.agentId).sort();
}

/** Agents `ids` report (heartbeat at `now`) running `version`; `error` makes them report failing it instead. */
export async function report(
  ctx: FleetContext,
  ids: string[],
  version: number,
  error?: string,
): Promise<void> {
  const now = ctx.clock();
  await ctx.db.agent.updateMany({
    where: { id: { in: ids } },
    data: error
      ? { configErrorVersion: version, configErrorMessage: error, configErrorAt: now, lastHeartbeatAt: now }
      : {
          appliedConfigVersion: version,
          configErrorVersion: null,
          configErrorMessage: null,
          lastHeartbeatAt: now,
        },
  });
}

/** Every agent of the group heartbeats at `now` (without changing what it runs). */
export async function heartbeatAll(ctx: FleetContext, groupId: string): Promise<void> {
  await ctx.db.agent.updateMany({ where: { groupId }, data: { lastHeartbeatAt: ctx.clock() } });
}
