/**
 * Telemetry of groups and the fleet: throughput per minute (Group.throughput, fleetTelemetry),
 * live per-component rates for the pipeline graph (Group.componentRates), the fleet's top lists,
 * and groupTelemetryUpdated, which sends the newest minutes and rates as telemetry is recorded.
 */
import { builder } from '../builder.ts';
import { assertUuids } from '../errors.ts';
import { liveBatches, source } from '../live.ts';
import { AGGREGATE_COST } from '../limits.ts';
import {
  componentLiveRates,
  throughput,
  topAgentsByErrors,
  topComponentsByDiscarded,
  type AgentErrors,
  type ComponentRates,
  type ComponentWindow,
  type ThroughputPoint,
} from '../../fleet/telemetry/read.ts';
import { MINUTE_MS } from '../../fleet/telemetry/rates.ts';
import { ComponentKind } from './enums.ts';
import { ComponentCounts, TELEMETRY_SERIES_COST, TelemetryRange, rangeStart } from './telemetry.ts';

/** Longest top list a query may ask for. */
export const MAX_TOP_ENTRIES = 50;

const Throughput = builder.objectRef<ThroughputPoint>('ThroughputPoint').implement({
  description:
    'One minute: events per second received by sources (in) and sent by sinks (out), errors and discarded events per second.',
  fields: (t) => ({
    minute: t.field({ type: 'DateTime', resolve: (p) => p.minute }),
    eventsIn: t.exposeFloat('eventsIn'),
    eventsOut: t.exposeFloat('eventsOut'),
    errors: t.exposeFloat('errors'),
    discarded: t.exposeFloat('discarded'),
  }),
});

const ComponentRatesRef = builder.objectRef<ComponentRates>('ComponentRates').implement({
  description: "A component's rates per second now, summed over the group's online agents.",
  fields: (t) => ({
    componentId: t.exposeString('componentId'),
    kind: t.field({ type: ComponentKind, resolve: (c) => c.kind }),
    type: t.exposeString('type'),
    agents: t.exposeInt('agents', { description: 'Online agents reporting it.' }),
    rates: t.field({ type: ComponentCounts, resolve: (c) => c.rates }),
  }),
});

const AgentErrorsRef = builder.objectRef<AgentErrors>('AgentErrors').implement({
  fields: (t) => ({
    agentId: t.exposeID('agentId'),
    hostname: t.exposeString('hostname'),
    groupId: t.exposeID('groupId'),
    errorsRate: t.exposeFloat('errorsRate', { description: 'Component errors per second now.' }),
    discardedRate: t.exposeFloat('discardedRate'),
  }),
});

const ComponentWindowRef = builder.objectRef<ComponentWindow>('ComponentWindow').implement({
  description: "A group's component with its counts summed over a time range.",
  fields: (t) => ({
    groupId: t.exposeID('groupId'),
    componentId: t.exposeString('componentId'),
    kind: t.field({ type: ComponentKind, resolve: (c) => c.kind }),
    type: t.exposeString('type'),
    totals: t.field({ type: ComponentCounts, resolve: (c) => c.counts }),
  }),
});

builder.prismaObjectFields('Group', (t) => ({
  throughput: t.field({
    type: [Throughput],
    description: "The group's minutes over `range`, oldest first (minutes without traffic are absent).",
    complexity: TELEMETRY_SERIES_COST,
    args: { range: t.arg({ type: TelemetryRange, defaultValue: 'hour' }) },
    resolve: (g, args, ctx) => throughput(ctx.fleet, g.id, rangeStart(ctx.fleet.clock(), args.range)),
  }),
  componentRates: t.field({
    type: [ComponentRatesRef],
    description: 'Each component of the running pipelines with its rates now (for the pipeline graph).',
    complexity: TELEMETRY_SERIES_COST,
    resolve: (g, _args, ctx) => componentLiveRates(ctx.fleet, g.id),
  }),
}));

interface FleetTelemetryArgs {
  since: Date;
}

const FleetTelemetry = builder.objectRef<FleetTelemetryArgs>('FleetTelemetry').implement({
  description: 'The data plane of the whole fleet.',
  fields: (t) => ({
    throughput: t.field({
      type: [Throughput],
      resolve: (f, _args, ctx) => throughput(ctx.fleet, null, f.since),
    }),
    topAgentsByErrors: t.field({
      type: [AgentErrorsRef],
      description: 'Online agents with the most component errors per second now.',
      args: { limit: t.arg.int({ defaultValue: 10 }) },
      resolve: (_f, args, ctx) => topAgentsByErrors(ctx.fleet, clampTop(args.limit)),
    }),
    topComponentsByDiscarded: t.field({
      type: [ComponentWindowRef],
      description: 'Components (per group) that discarded the most events over the range.',
      args: { limit: t.arg.int({ defaultValue: 10 }) },
      resolve: (f, args, ctx) => topComponentsByDiscarded(ctx.fleet, f.since, clampTop(args.limit)),
    }),
  }),
});

function clampTop(limit: number | null | undefined): number {
  return Math.min(MAX_TOP_ENTRIES, Math.max(1, limit ?? 10));
}

builder.queryField('fleetTelemetry', (t) =>
  t.field({
    type: FleetTelemetry,
    authScopes: { viewer: true },
    complexity: AGGREGATE_COST,
    description: 'Fleet throughput in and out, error rate and top lists over `range`.',
    args: { range: t.arg({ type: TelemetryRange, defaultValue: 'hour' }) },
    resolve: (_root, args, ctx) => ({ since: rangeStart(ctx.fleet.clock(), args.range) }),
  }),
);

interface GroupTelemetryBatch {
  groupId: string | null;
}

const GroupTelemetryUpdate = builder.objectRef<GroupTelemetryBatch>('GroupTelemetryUpdate').implement({
  description:
    'The newest minutes (the current one and the one before: replace points of the same minute, append new ones).',
  fields: (t) => ({
    groupId: t.id({ nullable: true, resolve: (b) => b.groupId }),
    throughput: t.field({
      type: [Throughput],
      resolve: (b, _args, ctx) =>
        throughput(ctx.fleet, b.groupId, new Date(ctx.fleet.clock().getTime() - MINUTE_MS)),
    }),
    componentRates: t.field({
      type: [ComponentRatesRef],
      description: 'The live rates of the group (empty for the fleet).',
      resolve: (b, _args, ctx) => (b.groupId ? componentLiveRates(ctx.fleet, b.groupId) : []),
    }),
  }),
});

builder.subscriptionField('groupTelemetryUpdated', (t) =>
  t.field({
    type: GroupTelemetryUpdate,
    authScopes: { viewer: true },
    complexity: AGGREGATE_COST,
    description:
      "Each time telemetry of the group's agents (or the fleet's: no groupId) is recorded, at most once per second.",
    args: { groupId: t.arg.id() },
    subscribe: (_root, args, ctx) => {
      assertUuids(args.groupId ? [args.groupId] : [], 'groupId');
      const tick = { id: 'telemetry', membership: false };
      return liveBatches(
        ctx.fleet.events,
        [source('telemetryRecorded', (e) => (!args.groupId || e.groupId === args.groupId ? tick : null))],
        { intervalMs: ctx.services.live.summaryIntervalMs, maxBatch: 1 },
      );
    },
    resolve: (_batch, args) => ({ groupId: args.groupId ?? null }),
  }),
);
