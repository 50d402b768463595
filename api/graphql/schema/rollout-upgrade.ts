/**
 * Upgrade rollouts (api/fleet/rollout/upgrade.ts): start a staged upgrade of a group's agents to
 * an agent release, and preview it (agents already on the release, offline ones and what happens
 * to them, per-stage counts). Viewers preview, editors start.
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
    stages: t.field({ type: [UpgradeStagePreviewRef], resolve: (p) => p.stages }),
  }),
});

const StartUpgradeRolloutInput = builder.inputType('StartUpgradeRolloutInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    release: t.string({ required: true, description: 'An agent release registered on the server.' }),
    plan: t.field({
      type: RolloutPlanInput,
      description: 'null: all at once. revertOnFailure is ignored: binaries are not reverted.',
    }),
  }),
});

const fleetInput = (input: { groupId: string | number; release: string; plan?: unknown }) => ({
  groupId: String(input.groupId),
  release: input.release,
  plan: planInput(input.plan ?? {}),
});

builder.queryFields((t) => ({
  upgradeRolloutPreview: t.field({
    type: UpgradePreviewRef,
    description: 'Agents already on the release, offline ones and what happens to them, and stage sizes.',
    authScopes: { viewer: true },
    args: {
      groupId: t.arg.id({ required: true }),
      release: t.arg.string({ required: true }),
      plan: t.arg({ type: RolloutPlanInput }),
    },
    errors: { types: INPUT_ERRORS, dataField: { name: 'preview' } },
    resolve: (_root, args, ctx) => runFleet(() => previewUpgradeRollout(ctx.fleet, fleetInput(args))),
  }),
}));

builder.mutationFields((t) => ({
  startUpgradeRollout: t.prismaField({
    type: 'Rollout',
    description:
      'Upgrade the agents of a group to an agent release stage by stage (kind upgrade); supersedes an upgrade in progress. Halting stops new upgrade actions; nothing is reverted.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: StartUpgradeRolloutInput, required: true }) },
    errors: { types: INPUT_ERRORS, dataField: { name: 'rollout' } },
    resolve: async (query, _root, { input }, ctx) => {
      const rollout = await runFleet(() => startUpgradeRollout(ctx.fleet, actorOf(ctx), fleetInput(input)));
      return ctx.fleet.db.rollout.findUniqueOrThrow({ ...query, where: { id: rollout.id } });
    },
  }),
}));
