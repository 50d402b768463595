/**
 * Upgrade rollouts (api/fleet/rollout/upgrade.ts): start a staged upgrade of a group's agents, or
 * of an agent selection (ids or a filter, as the agents list's bulk upgrade gives them), to an
 * agent release, and preview it (agents already on the release, offline ones and what happens to
 * them, per-stage counts). Viewers preview, editors start.
 */
import { builder } from '../builder.ts';
import { actorOf } from '../context.ts';
import { INPUT_ERRORS, runFleet } from '../errors.ts';
import {
  previewUpgradeRollout,
  startUpgradeRollout,
  type UpgradePreview,
  type UpgradeStagePreview,
} from '../../fleet/rollout/upgrade.ts';
import { RolloutPlanInput, planInput } from './rollout-plan.ts';
import { AgentFilter, fleetFilter } from './agent.ts';
import { selected } from '../selection.ts';

const UpgradeStagePreviewRef = builder
  .objectRef<UpgradeStagePreview>('UpgradeRolloutStagePreview')
  .implement({
    description: 'One stage of an upgrade rollout if it started now.',
    fields: (t) => ({
      index: t.exposeInt('index', { description: '0-based.' }),
      size: t.exposeInt('size'),
      offline: t.exposeInt('offline', { description: 'Offline or never seen now, not on the release.' }),
      onRelease: t.exposeInt('onRelease', {
        description: 'Already on the release: skipped, counted as done.',
      }),
      hostnames: t.exposeStringList('hostnames', { description: 'The first hostnames the stage reaches.' }),
    }),
  });

const UpgradePreviewRef = builder.objectRef<UpgradePreview>('UpgradeRolloutPreview').implement({
  description: 'What an upgrade rollout would do if it started now; changes nothing.',
  fields: (t) => ({
    agents: t.exposeInt('agents'),
    onRelease: t.exposeInt('onRelease', {
      description: 'Already on the release: no action, counted as done.',
    }),
    offline: t.exposeInt('offline', { description: 'Offline or never seen now (not on the release).' }),
    offlineOutcome: t.exposeString('offlineOutcome', { description: 'What happens to the offline agents.' }),
    supersedes: t.exposeInt('supersedes', {
      description:
        'Upgrade rollouts in progress (same group or agents) that starting this one supersedes: they stop, and their undelivered actions are cancelled.',
    }),
    stages: t.field({ type: [UpgradeStagePreviewRef], resolve: (p) => p.stages }),
  }),
});

const TARGET =
  "Exactly one of groupId (the group's agents), agentIds or filter (a selection, at most fleetRules.maxBulkAgents).";

const StartUpgradeRolloutInput = builder.inputType('StartUpgradeRolloutInput', {
  description: TARGET,
  fields: (t) => ({
    groupId: t.id(),
    agentIds: t.idList(),
    filter: t.field({ type: AgentFilter }),
    release: t.string({ required: true, description: 'An agent release registered on the server.' }),
    plan: t.field({
      type: RolloutPlanInput,
      description: 'null: all at once. revertOnFailure is ignored: binaries are not reverted.',
    }),
  }),
});

interface UpgradeArgs {
  groupId?: string | number | null;
  agentIds?: (string | number)[] | null;
  filter?: typeof AgentFilter.$inferInput | null;
  release: string;
  plan?: unknown;
}

const fleetInput = (input: UpgradeArgs, path: string) => ({
  groupId: input.groupId == null ? null : String(input.groupId),
  agentIds: input.agentIds?.map(String) ?? null,
  filter: input.filter ? fleetFilter(input.filter, `${path}filter`) : null,
  release: input.release,
  plan: planInput(input.plan ?? {}),
});

builder.prismaObjectField('Rollout', 'selection', (t) =>
  t.field({
    type: 'JSON',
    nullable: true,
    description:
      'An upgrade of an agent selection (group null): how the agents were chosen, { filter } or { agentIds: count }.',
    resolve: (r) => (r.selection as object | null) ?? null,
  }),
);

builder.queryFields((t) => ({
  upgradeRolloutPreview: t.field({
    type: UpgradePreviewRef,
    authScopes: { viewer: true },
    description: `Agents already on the release, offline ones and what happens to them, and stage sizes. ${TARGET}`,
    args: {
      groupId: t.arg.id(),
      agentIds: t.arg.idList(),
      filter: t.arg({ type: AgentFilter }),
      release: t.arg.string({ required: true }),
      plan: t.arg({ type: RolloutPlanInput }),
    },
    errors: { types: INPUT_ERRORS, dataField: { name: 'preview' } },
    resolve: (_root, args, ctx) => runFleet(() => previewUpgradeRollout(ctx.fleet, fleetInput(args, ''))),
  }),
}));

builder.mutationFields((t) => ({
  startUpgradeRollout: t.prismaField({
    type: 'Rollout',
    description:
      'Upgrade the agents of a group, or a selection of agents, to an agent release stage by stage (kind upgrade); supersedes upgrades in progress on the group or on any of the agents. Halting stops new upgrade actions; nothing is reverted.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: StartUpgradeRolloutInput, required: true }) },
    errors: { types: INPUT_ERRORS, dataField: { name: 'rollout' } },
    resolve: async (query, _root, { input }, ctx) => {
      const rollout = await runFleet(() =>
        startUpgradeRollout(ctx.fleet, actorOf(ctx), fleetInput(input, 'input.')),
      );
      return ctx.fleet.db.rollout.findUniqueOrThrow({ ...selected(query), where: { id: rollout.id } });
    },
  }),
}));
