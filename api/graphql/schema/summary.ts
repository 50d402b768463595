/**
 * The fleet summary (counts computed by the database) and fleetSummaryUpdated, which follows
 * rollouts: how many agents of each group run its newest config.
 */
import { builder } from '../builder.ts';
import { assertUuids } from '../errors.ts';
import { liveBatches, sharedRead, source } from '../live.ts';
import {
  fleetSummary,
  type FleetSummary as Summary,
  type GroupRollout as Rollout,
  type VersionCount,
} from '../../fleet/summary.ts';
import { AGGREGATE_COST } from '../limits.ts';

const VersionCountRef = builder.objectRef<VersionCount>('VersionCount').implement({
  fields: (t) => ({ version: t.exposeString('version'), count: t.exposeInt('count') }),
});

const counts = {
  agents: 'Agents not revoked.',
  online: 'Heartbeat within the offline threshold.',
  offline: 'Heartbeat older than the offline threshold.',
  neverSeen: 'No heartbeat yet.',
  upToDate: 'Running their desired config version (their rollout pin, else their group’s version).',
  updating: 'Online and not yet running their desired config version: it is on its way (rolling out).',
  behind: 'Offline or never seen, and not running their desired config version (behind because offline).',
  failed: 'Reporting a config error for their desired config version.',
  drifted: 'Running a config file that differs from the version they applied (edited on the host).',
} as const;

const GroupRollout = builder.objectRef<Rollout>('GroupRollout').implement({
  description: "One group's agents, and how far its newest config has rolled out (upToDate of agents).",
  fields: (t) => ({
    groupId: t.exposeID('groupId'),
    slug: t.exposeString('slug'),
    name: t.exposeString('name'),
    configVersion: t.exposeInt('configVersion'),
    ...Object.fromEntries(
      Object.entries(counts).map(([key, description]) => [
        key,
        t.exposeInt(key as keyof typeof counts, { description }),
      ]),
    ),
  }),
});

const FleetSummary = builder.objectRef<Summary>('FleetSummary').implement({
  description: 'Agent counts of the fleet, or of one group. Revoked agents are not counted.',
  fields: (t) => ({
    groupId: t.exposeID('groupId', { nullable: true }),
    ...Object.fromEntries(
      Object.entries(counts).map(([key, description]) => [
        key,
        t.exposeInt(key as keyof typeof counts, { description }),
      ]),
    ),
    agentVersions: t.field({ type: [VersionCountRef], resolve: (s) => s.agentVersions }),
    vectorVersions: t.field({ type: [VersionCountRef], resolve: (s) => s.vectorVersions }),
    groups: t.field({ type: [GroupRollout], resolve: (s) => s.groups }),
  }),
});

builder.queryField('fleetSummary', (t) =>
  t.field({
    type: FleetSummary,
    authScopes: { viewer: true },
    complexity: AGGREGATE_COST,
    description: 'Counts by status, version, config status and group, for the fleet or one group.',
    args: { groupId: t.arg.id() },
    resolve: (_root, args, ctx) => {
      assertUuids(args.groupId ? [args.groupId] : [], 'groupId');
      return fleetSummary(ctx.fleet, args.groupId ?? null);
    },
  }),
);

builder.subscriptionField('fleetSummaryUpdated', (t) =>
  t.field({
    type: FleetSummary,
    authScopes: { viewer: true },
    complexity: AGGREGATE_COST,
    description:
      'The summary again whenever it may have changed (agents, configs, rollout pins, groups), at most once per second.',
    args: { groupId: t.arg.id() },
    subscribe: (_root, args, ctx) => {
      assertUuids(args.groupId ? [args.groupId] : [], 'groupId');
      const mine = (groupId: string, other?: string) =>
        !args.groupId || groupId === args.groupId || other === args.groupId;
      const tick = { id: 'summary', membership: false };
      return liveBatches(
        ctx.fleet.events,
        [
          source('agentUpdated', (e) => (mine(e.groupId, e.previousGroupId) ? tick : null)),
          source('agentsSeen', (e) => (e.groupIds.some((g) => mine(g)) ? tick : null)),
          source('configPublished', (e) => (mine(e.groupId) ? tick : null)),
          source('configPinsChanged', (e) => (mine(e.groupId) ? tick : null)),
          source('groupUpdated', (e) => (mine(e.groupId) ? tick : null)),
        ],
        { intervalMs: ctx.services.live.summaryIntervalMs, maxBatch: 1 },
      );
    },
    // One summary per batch cut and group, shared by every dashboard that got the same tick.
    resolve: (batch, args, ctx) =>
      sharedRead(`summary ${batch.at} ${args.groupId ?? ''}`, () =>
        fleetSummary(ctx.fleet, args.groupId ?? null),
      ),
  }),
);
