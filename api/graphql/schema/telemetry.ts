/**
 * Telemetry of one agent: its latest sample (Agent.telemetry), its 5-minute history
 * (Agent.telemetryHistory) and agentTelemetryUpdated, which sends each newly recorded sample so
 * charts extend without fetching their history again. Shared types live here too.
 */
import { builder } from '../builder.ts';
import { assertUuids } from '../errors.ts';
import { liveBatches, source } from '../live.ts';
import {
  agentHistory,
  latestTelemetry,
  type AgentPoint,
  type LatestTelemetry,
} from '../../fleet/telemetry/read.ts';
import type { Counts, StoredComponent } from '../../fleet/telemetry/rates.ts';
import type { TelemetryLogLine } from '../../protocol/telemetry.ts';
import { ComponentKind } from './enums.ts';

/** What a telemetry series field costs: one query over many rows. */
export const TELEMETRY_SERIES_COST = 500;

/** The time ranges charts offer, in milliseconds. */
export const TELEMETRY_RANGES = { hour: 3_600_000, day: 86_400_000 } as const;
export const TelemetryRange = builder.enumType('TelemetryRange', {
  description: 'hour: the last 60 minutes; day: the last 24 hours.',
  values: Object.keys(TELEMETRY_RANGES) as (keyof typeof TELEMETRY_RANGES)[],
});

/** The start of `range` before now. */
export function rangeStart(now: Date, range: keyof typeof TELEMETRY_RANGES | null | undefined): Date {
  return new Date(now.getTime() - TELEMETRY_RANGES[range ?? 'hour']);
}

export const ComponentCounts = builder.objectRef<Counts>('ComponentCounts').implement({
  description:
    'Events and bytes in and out, errors and discarded events of a component (totals, or per second).',
  fields: (t) => ({
    eventsIn: t.exposeFloat('eventsIn'),
    eventsOut: t.exposeFloat('eventsOut'),
    bytesIn: t.exposeFloat('bytesIn'),
    bytesOut: t.exposeFloat('bytesOut'),
    errors: t.exposeFloat('errors'),
    discarded: t.exposeFloat('discarded'),
  }),
});

const ComponentTelemetry = builder.objectRef<StoredComponent>('ComponentTelemetry').implement({
  description:
    'One Vector component in the latest sample: totals since Vector started, and rates per second.',
  fields: (t) => ({
    id: t.exposeString('id'),
    kind: t.field({ type: ComponentKind, resolve: (c) => c.kind }),
    type: t.exposeString('type'),
    totals: t.field({ type: ComponentCounts, resolve: (c) => c.totals }),
    rates: t.field({
      type: ComponentCounts,
      nullable: true,
      description: 'Per second since the previous sample; null after a gap or for the first sample.',
      resolve: (c) => c.rates,
    }),
    bufferEvents: t.float({ nullable: true, resolve: (c) => c.bufferEvents ?? null }),
    bufferBytes: t.float({ nullable: true, resolve: (c) => c.bufferBytes ?? null }),
  }),
});

const LogLine = builder.objectRef<TelemetryLogLine>('VectorLogLine').implement({
  description: 'A recent warning or error line of Vector, as the agent read it.',
  fields: (t) => ({
    time: t.field({ type: 'DateTime', resolve: (l) => new Date(l.time) }),
    level: t.exposeString('level'),
    message: t.exposeString('message'),
  }),
});

/** The latest sample's numbers; every one may be missing (the platform does not offer it, or a baseline rate). */
const LATEST_NUMBERS: [keyof LatestTelemetry & string, string | undefined][] = [
  ['vectorUptimeSeconds', undefined],
  ['vectorReloads', 'Successful reloads since Vector started.'],
  ['cpuPercent', 'Busy share of all CPUs, 0–100.'],
  ['load1', undefined],
  ['memoryUsedBytes', undefined],
  ['memoryAvailableBytes', undefined],
  ['diskUsedBytes', "The filesystem of Vector's data directory."],
  ['diskTotalBytes', undefined],
  ['networkInRate', 'Bytes per second.'],
  ['networkOutRate', 'Bytes per second.'],
  ['agentRssBytes', undefined],
  ['agentCpuPercent', 'Of one CPU.'],
  ['eventsInRate', 'Events per second its sources received.'],
  ['eventsOutRate', 'Events per second its sinks sent.'],
  ['errorsRate', 'Component errors per second.'],
  ['discardedRate', 'Discarded events per second.'],
];

export const AgentTelemetry = builder.objectRef<LatestTelemetry>('AgentTelemetry').implement({
  description:
    "An agent's latest telemetry sample. Rates are per second since the previous sample (null after a gap).",
  fields: (t) => ({
    agentId: t.exposeID('agentId'),
    sampledAt: t.field({ type: 'DateTime', resolve: (l) => l.sampledAt }),
    ...Object.fromEntries(
      LATEST_NUMBERS.map(([key, description]) => [
        key,
        t.float({ nullable: true, description, resolve: (l) => l[key] as number | null }),
      ]),
    ),
    components: t.field({ type: [ComponentTelemetry], resolve: (l) => l.components }),
    logs: t.field({ type: [LogLine], description: 'Newest last.', resolve: (l) => l.logs }),
  }),
});

const ComponentRatePoint = builder
  .objectRef<AgentPoint['components'][number]>('ComponentRatePoint')
  .implement({
    fields: (t) => ({
      id: t.exposeString('id'),
      eventsIn: t.exposeFloat('eventsIn'),
      eventsOut: t.exposeFloat('eventsOut'),
      errors: t.exposeFloat('errors'),
      discarded: t.exposeFloat('discarded'),
    }),
  });

const AgentTelemetryPoint = builder.objectRef<AgentPoint>('AgentTelemetryPoint').implement({
  description: 'A 5-minute step of an agent: average CPU, last memory and disk, events per second.',
  fields: (t) => ({
    at: t.field({ type: 'DateTime', resolve: (p) => p.at }),
    cpuPercent: t.float({ nullable: true, resolve: (p) => p.cpuPercent }),
    memoryUsedBytes: t.float({ nullable: true, resolve: (p) => p.memoryUsedBytes }),
    memoryAvailableBytes: t.float({ nullable: true, resolve: (p) => p.memoryAvailableBytes }),
    diskUsedBytes: t.float({ nullable: true, resolve: (p) => p.diskUsedBytes }),
    diskTotalBytes: t.float({ nullable: true, resolve: (p) => p.diskTotalBytes }),
    eventsIn: t.float({ resolve: (p) => p.rates.eventsIn }),
    eventsOut: t.float({ resolve: (p) => p.rates.eventsOut }),
    errors: t.float({ resolve: (p) => p.rates.errors }),
    discarded: t.float({ resolve: (p) => p.rates.discarded }),
    components: t.field({ type: [ComponentRatePoint], resolve: (p) => p.components }),
  }),
});

builder.prismaObjectFields('Agent', (t) => ({
  telemetry: t.field({
    type: AgentTelemetry,
    nullable: true,
    description: 'The latest telemetry sample; null before the agent sent any.',
    resolve: async (a, _args, ctx) => (await latestTelemetry(ctx.fleet, { agentIds: [a.id] }))[0] ?? null,
  }),
  telemetryHistory: t.field({
    type: [AgentTelemetryPoint],
    description: 'Its 5-minute steps over `range`, oldest first; the last is the step in progress.',
    complexity: TELEMETRY_SERIES_COST,
    args: { range: t.arg({ type: TelemetryRange, defaultValue: 'hour' }) },
    resolve: (a, args, ctx) => agentHistory(ctx.fleet, a.id, rangeStart(ctx.fleet.clock(), args.range)),
  }),
}));

builder.subscriptionField('agentTelemetryUpdated', (t) =>
  t.field({
    type: AgentTelemetry,
    nullable: true,
    description:
      "The agent's latest sample each time one is recorded (at most one message per coalescing interval): append it to the charts.",
    authScopes: { viewer: true },
    args: { agentId: t.arg.id({ required: true }) },
    subscribe: (_root, { agentId }, ctx) => {
      assertUuids([agentId], 'agentId');
      const tick = { id: agentId, membership: false };
      return liveBatches(
        ctx.fleet.events,
        [source('telemetryRecorded', (e) => (e.agentIds.includes(agentId) ? tick : null))],
        { intervalMs: ctx.services.live.intervalMs, maxBatch: 1 },
      );
    },
    resolve: async (_batch, { agentId }, ctx) => {
      const [latest] = await latestTelemetry(ctx.fleet, { agentIds: [agentId] });
      return latest ?? null;
    },
  }),
);
