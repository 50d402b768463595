/**
 * Rollouts (api/fleet/rollout): the Rollout type with its plan, state, per-stage counts, gate
 * values and agents; the rollouts of a group and of the fleet; the preview of a plan; the
 * controls; and rolloutUpdated, coalesced like the other subscriptions. Viewers read, editors
 * control.
 */
import { builder } from '../builder.ts';
import { actorOf } from '../context.ts';
import {
  INPUT_ERRORS,
  InvalidTransitionError,
  NotFoundError,
  ValidationError,
  isUuid,
  runFleet,
} from '../errors.ts';
import { validationError } from '../../fleet/errors.ts';
import { liveBatches, source, type LiveBatch } from '../live.ts';
import { ALL_AT_ONCE, storedPlan, parsePlan } from '../../fleet/rollout/plan.ts';
import { previewRollout, type RolloutPreview, type StagePreview } from '../../fleet/rollout/planner.ts';
import { stageProgress, type StageProgress } from '../../fleet/rollout/progress.ts';
import { REACH } from '../../fleet/rollout/reach.ts';
import type { GateVerdict } from '../../fleet/rollout/gates.ts';
import { ACTIVE_ROLLOUT_STATES, ROLLOUT_STATES } from '../../fleet/rollout/states.ts';
import { ROLLOUT_AGENT_STATES, rolloutAgents, type RolloutAgentRow } from '../../fleet/rollout/agents.ts';
import {
  abortRollout,
  pauseRollout,
  promoteRollout,
  resumeRollout,
  retryRolloutAgents,
  setGroupRolloutPlan,
} from '../../fleet/rollout/controls.ts';
import { RolloutPlanInput, RolloutPlanRef, planInput } from './rollout-plan.ts';
import { selected } from '../selection.ts';

const RolloutState = builder.enumType('RolloutState', {
  description:
    'pending → running (stage reaching agents) → soaking (stage reached, watched) → … → done; paused; halted (a gate breached, no new agents); reverted (halted and the reached agents pinned back); cancelled (aborted); superseded (a newer publish replaced it).',
  values: ROLLOUT_STATES,
});
const RolloutKind = builder.enumType('RolloutKind', { values: ['config', 'upgrade'] as const });
const RolloutAgentState = builder.enumType('RolloutAgentState', {
  description:
    'waiting: its stage has not reached it; offline: not reached and offline (it gets the version when the rollout is done); in_flight: reached, not yet delivered; delivered; applied; failed; stopped: Vector stopped since; silent: no heartbeats; reverted.',
  values: ROLLOUT_AGENT_STATES,
});

const RolloutStageRef = builder.objectRef<StageProgress>('RolloutStage').implement({
  description: 'Counts of one stage (agents still in the group, not revoked).',
  fields: (t) => ({
    index: t.exposeInt('index', { description: '0-based.' }),
    size: t.exposeInt('size'),
    reached: t.exposeInt('reached', {
      description: 'Agents the stage reached (their desired version is the new one).',
    }),
    delivered: t.exposeInt('delivered'),
    applied: t.exposeInt('applied'),
    failed: t.exposeInt('failed'),
    stopped: t.exposeInt('stopped'),
    silent: t.exposeInt('silent'),
    inFlight: t.exposeInt('inFlight'),
    waiting: t.exposeInt('waiting', { description: 'Not reached yet, online.' }),
    reverted: t.exposeInt('reverted'),
  }),
});

const RolloutGateRef = builder.objectRef<GateVerdict>('RolloutGate').implement({
  description:
    'A gate’s last value against its threshold; value null: nothing to judge yet (or no telemetry).',
  fields: (t) => ({
    signal: t.exposeString('signal', {
      description: 'apply_failed, vector_stopped, silent, component_error_rate, throughput_drop.',
    }),
    value: t.exposeFloat('value', { nullable: true }),
    threshold: t.exposeFloat('threshold', { nullable: true }),
    ok: t.exposeBoolean('ok'),
  }),
});

const RolloutAgentRef = builder.objectRef<RolloutAgentRow>('RolloutAgent').implement({
  fields: (t) => ({
    agent: t.prismaField({
      type: 'Agent',
      resolve: (query, r, _args, ctx) =>
        ctx.fleet.db.agent.findUniqueOrThrow({ ...query, where: { id: r.agentId } }),
    }),
    hostname: t.exposeString('hostname'),
    stage: t.exposeInt('stage'),
    state: t.field({ type: RolloutAgentState, resolve: (r) => r.state }),
    reason: t.exposeString('reason', { description: 'The config error, or when it was last heard of.' }),
    assignedAt: t.expose('assignedAt', { type: 'DateTime', nullable: true }),
    revertedAt: t.expose('revertedAt', { type: 'DateTime', nullable: true }),
  }),
});

const RolloutAgentPage = builder
  .objectRef<{ rows: RolloutAgentRow[]; total: number; hasNextPage: boolean }>('RolloutAgentPage')
  .implement({
    fields: (t) => ({
      nodes: t.field({ type: [RolloutAgentRef], resolve: (p) => p.rows }),
      totalCount: t.exposeInt('total'),
      hasNextPage: t.exposeBoolean('hasNextPage'),
      endCursor: t.string({ nullable: true, resolve: (p) => p.rows.at(-1)?.agentId ?? null }),
    }),
  });

builder.prismaObject('Rollout', {
  description: 'A staged change of a group or an agent selection (a config version, or an agent release).',
  authScopes: { viewer: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: RolloutKind, resolve: (r) => r.kind }),
    group: t.relation('group', { nullable: true, description: 'null: an upgrade of an agent selection.' }),
    version: t.exposeInt('version', { nullable: true }),
    previousVersion: t.exposeInt('previousVersion', {
      nullable: true,
      description: 'What a revert goes back to.',
    }),
    release: t.exposeString('release', { nullable: true }),
    plan: t.field({ type: RolloutPlanRef, resolve: (r) => storedPlan(r.plan) }),
    state: t.field({ type: RolloutState, resolve: (r) => r.state }),
    active: t.boolean({ resolve: (r) => ACTIVE_ROLLOUT_STATES.includes(r.state) }),
    stage: t.exposeInt('stage', { description: 'The current stage, 0-based.' }),
    stageStartedAt: t.expose('stageStartedAt', { type: 'DateTime', nullable: true }),
    soakEndsAt: t.expose('soakEndsAt', { type: 'DateTime', nullable: true }),
    reason: t.exposeString('reason', {
      description: 'Why it halted, reverted, was cancelled or superseded.',
    }),
    gates: t.field({
      type: [RolloutGateRef],
      resolve: (r) => (Array.isArray(r.gates) ? (r.gates as unknown as GateVerdict[]) : []),
    }),
    stages: t.field({
      type: [RolloutStageRef],
      resolve: (r, _args, ctx) => {
        const reach = REACH[r.kind];
        return reach
          ? stageProgress(
              ctx.fleet.db,
              r,
              storedPlan(r.plan),
              reach,
              ctx.fleet.clock(),
              ctx.fleet.tuning.current.offlineAfterMs,
            )
          : [];
      },
    }),
    agents: t.field({
      type: RolloutAgentPage,
      description: 'Its agents by id, at most 500 a page; filter by stage (0-based) and state.',
      args: {
        stage: t.arg.int(),
        state: t.arg({ type: RolloutAgentState }),
        first: t.arg.int({ description: 'Default 100, at most 500.' }),
        after: t.arg.id({ description: 'endCursor of the previous page.' }),
      },
      resolve: (r, args, ctx) =>
        rolloutAgents(ctx.fleet, r, { ...args, after: args.after == null ? null : String(args.after) }),
    }),
    supersededBy: t.prismaField({
      type: 'Rollout',
      nullable: true,
      description: 'The rollout of the newer publish that replaced it.',
      select: { supersededById: true },
      resolve: (query, r, _args, ctx) =>
        r.supersededById
          ? ctx.fleet.db.rollout.findUnique({ ...query, where: { id: r.supersededById } })
          : null,
    }),
    supersedes: t.prismaField({
      type: 'Rollout',
      nullable: true,
      description:
        'The rollout this one replaced (a publish while it was in progress); the operator is told.',
      select: { id: true },
      resolve: (query, r, _args, ctx) =>
        ctx.fleet.db.rollout.findFirst({ ...query, where: { supersededById: r.id } }),
    }),
    createdBy: t.exposeString('createdBy'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
  }),
});

const ACTIVE = { state: { in: [...ACTIVE_ROLLOUT_STATES] } };

builder.prismaObjectFields('Group', (t) => ({
  rolloutPlan: t.field({
    type: RolloutPlanRef,
    nullable: true,
    description: 'The plan a publish uses when it names none; null: all at once.',
    select: { rolloutPlan: true },
    resolve: (g) => (g.rolloutPlan === null ? null : storedPlan(g.rolloutPlan)),
  }),
  latestVersion: t.exposeInt('latestVersion', {
    description: 'The newest published version; ahead of configVersion while a staged rollout runs.',
  }),
  activeRollout: t.prismaField({
    type: 'Rollout',
    nullable: true,
    description: 'The config rollout in progress (at most one), or null.',
    select: { id: true },
    resolve: (query, g, _args, ctx) =>
      ctx.fleet.db.rollout.findFirst({
        ...query,
        where: { groupId: g.id, kind: 'config', ...ACTIVE },
        orderBy: { createdAt: 'desc' },
      }),
  }),
  rollouts: t.relation('rollouts', {
    description: 'Rollouts, newest first (history).',
    args: { first: t.arg.int({ description: 'At most this many (default 20, at most 200).' }) },
    query: (args) => ({ orderBy: { createdAt: 'desc' }, take: Math.min(Math.max(args.first ?? 20, 1), 200) }),
  }),
}));

builder.prismaObjectFields('PipelineVersion', (t) => ({
  rollout: t.prismaField({
    type: 'Rollout',
    nullable: true,
    description: 'The rollout that published this version (null for versions from before rollouts).',
    select: { groupId: true, version: true },
    resolve: (query, v, _args, ctx) =>
      ctx.fleet.db.rollout.findFirst({
        ...query,
        where: { groupId: v.groupId, kind: 'config', version: v.version },
      }),
  }),
}));

const StagePreviewRef = builder.objectRef<StagePreview>('RolloutStagePreview').implement({
  fields: (t) => ({
    index: t.exposeInt('index'),
    size: t.exposeInt('size'),
    offline: t.exposeInt('offline', {
      description: 'Offline now: they get the version when they come back.',
    }),
    hostnames: t.exposeStringList('hostnames', {
      description: 'The first 10, in the order the stage reaches them.',
    }),
  }),
});

const RolloutPreviewRef = builder.objectRef<RolloutPreview>('RolloutPreview').implement({
  description: 'What starting a plan now would do; nothing was changed.',
  fields: (t) => ({
    agents: t.exposeInt('agents'),
    stages: t.field({ type: [StagePreviewRef], resolve: (p) => p.stages }),
  }),
});

builder.queryFields((t) => ({
  rollout: t.prismaField({
    type: 'Rollout',
    nullable: true,
    authScopes: { viewer: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      isUuid(String(args.id))
        ? ctx.fleet.db.rollout.findUnique({ ...query, where: { id: String(args.id) } })
        : null,
  }),
  activeRollouts: t.prismaField({
    type: ['Rollout'],
    description: 'Every rollout in progress, oldest first.',
    authScopes: { viewer: true },
    resolve: (query, _root, _args, ctx) =>
      ctx.fleet.db.rollout.findMany({ ...query, where: ACTIVE, orderBy: { createdAt: 'asc' } }),
  }),
  rolloutPlanDefaults: t.field({
    type: RolloutPlanRef,
    description:
      'The plan with every field at its default ("all at once"): the gate thresholds a plan gets when it names none.',
    authScopes: { viewer: true },
    resolve: () => ALL_AT_ONCE,
  }),
  rolloutPreview: t.field({
    type: RolloutPreviewRef,
    description: 'Stage sizes and the first hostnames of each stage if `plan` started now; changes nothing.',
    authScopes: { viewer: true },
    args: { groupId: t.arg.id({ required: true }), plan: t.arg({ type: RolloutPlanInput }) },
    errors: { types: INPUT_ERRORS, dataField: { name: 'preview' } },
    resolve: (_root, args, ctx) =>
      runFleet(async () => {
        const plan = parsePlan(planInput(args.plan ?? {}));
        if (!isUuid(String(args.groupId))) throw validationError([{ path: 'groupId', message: 'not an id' }]);
        return previewRollout(ctx.fleet, String(args.groupId), plan);
      }),
  }),
}));

/** The input of control `name` (each mutation has its own <Name>Input). */
const controlInput = (name: string) =>
  builder.inputType(`${name[0].toUpperCase()}${name.slice(1)}Input`, {
    fields: (t) => ({ rolloutId: t.id({ required: true }) }),
  });
const SetGroupRolloutPlanInput = builder.inputType('SetGroupRolloutPlanInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    plan: t.field({ type: RolloutPlanInput, description: 'null: all at once.' }),
  }),
});

const CONTROL_ERRORS = [ValidationError, NotFoundError, InvalidTransitionError];
const CONTROLS = {
  pauseRollout: [pauseRollout, 'Stop reaching new agents; gates are still judged.'],
  resumeRollout: [resumeRollout, 'Continue a paused rollout; the stage soaks again once reached.'],
  promoteRollout: [
    promoteRollout,
    'Move on to the next stage now, skipping the rest of this one and its soak.',
  ],
  abortRollout: [abortRollout, 'Stop and give every agent it reached the previous version back (cancelled).'],
  retryRolloutAgents: [
    retryRolloutAgents,
    'After a halt or revert: give the reached agents the version again and judge the stage afresh.',
  ],
} as const;

builder.mutationFields((t) => ({
  ...Object.fromEntries(
    Object.entries(CONTROLS).map(([name, [run, description]]) => [
      name,
      t.prismaField({
        type: 'Rollout',
        description,
        authScopes: { editor: true },
        args: { input: t.arg({ type: controlInput(name), required: true }) },
        errors: { types: CONTROL_ERRORS, dataField: { name: 'rollout' } },
        resolve: async (query, _root, { input }, ctx) => {
          const rollout = await runFleet(() =>
            run(ctx.fleet, actorOf(ctx), { rolloutId: String(input.rolloutId) }),
          );
          return ctx.fleet.db.rollout.findUniqueOrThrow({ ...selected(query), where: { id: rollout.id } });
        },
      }),
    ]),
  ),
  setGroupRolloutPlan: t.prismaField({
    type: 'Group',
    description: 'Save the plan publishes of the group use by default (null: all at once).',
    authScopes: { editor: true },
    args: { input: t.arg({ type: SetGroupRolloutPlanInput, required: true }) },
    errors: { types: INPUT_ERRORS, dataField: { name: 'group' } },
    resolve: async (query, _root, { input }, ctx) => {
      const groupId = String(input.groupId);
      const plan = input.plan ? planInput(input.plan) : null;
      await runFleet(() => setGroupRolloutPlan(ctx.fleet, actorOf(ctx), { groupId, plan }));
      return ctx.fleet.db.group.findUniqueOrThrow({ ...selected(query), where: { id: groupId } });
    },
  }),
}));

const RolloutUpdate = builder.objectRef<LiveBatch>('RolloutUpdate').implement({
  description: 'Rollouts that changed since the previous message, each at its latest state.',
  fields: (t) => ({
    rollouts: t.prismaField({
      type: ['Rollout'],
      resolve: (query, batch, _args, ctx) =>
        ctx.fleet.db.rollout.findMany({
          ...query,
          where: { id: { in: batch.ids } },
          orderBy: { createdAt: 'asc' },
        }),
    }),
    membershipChanged: t.exposeBoolean('membershipChanged', {
      description: 'A rollout started or finished: refetch lists of active rollouts.',
    }),
  }),
});

builder.subscriptionField('rolloutUpdated', (t) =>
  t.field({
    type: RolloutUpdate,
    description:
      'Changes to one rollout (id), the rollouts of one group (groupId) or every rollout: state, stage, gate values, agents reached.',
    authScopes: { viewer: true },
    args: { id: t.arg.id(), groupId: t.arg.id() },
    subscribe: (_root, args, ctx) =>
      liveBatches(
        ctx.fleet.events,
        [
          source('rolloutUpdated', (e) =>
            (!args.id || e.rolloutId === String(args.id)) &&
            (!args.groupId || e.groupId === String(args.groupId))
              ? {
                  id: e.rolloutId,
                  membership: !ACTIVE_ROLLOUT_STATES.includes(e.state as never) || e.state === 'pending',
                }
              : null,
          ),
        ],
        ctx.services.live,
      ),
    resolve: (batch) => batch,
  }),
);
