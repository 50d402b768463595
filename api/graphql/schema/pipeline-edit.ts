/**
 * Versioned pipelines, write side (api/fleet/pipeline): draft edits (whole document or one
 * component at a time, each naming the draft revision it was made on), publish with a message,
 * discard, rollback, and pipelines-as-code apply. Editors write; every change is audited and
 * announced on groupUpdated; publishing wakes agents' held config polls.
 */
import { builder } from '../builder.ts';
import { actorOf, fleetInput } from '../context.ts';
import { DRAFT_ERRORS, PUBLISH_ERRORS, runFleet } from '../errors.ts';
import { ComponentKind, Platform } from './enums.ts';
import { PipelineDraftRef } from './pipeline.ts';
import { discardDraft, updateDraft, type DraftState } from '../../fleet/pipeline/draft.ts';
import {
  addDraftComponent,
  connectDraftComponents,
  disconnectDraftComponents,
  removeDraftComponent,
  updateDraftComponent,
} from '../../fleet/pipeline/component-edits.ts';
import { publishDraft, rollbackToVersion } from '../../fleet/pipeline/versions.ts';
import { applyPipeline } from '../../fleet/pipeline/code.ts';
import type { FleetContext, Actor } from '../../fleet/context.ts';
import { RolloutPlanInput, planInput } from './rollout-plan.ts';
import { selected } from '../selection.ts';

/** A publishing mutation's input as the fleet takes it: nulls dropped, the plan mapped. */
const publishInput = (input: { plan?: unknown }) => ({
  ...fleetInput(input),
  ...(input.plan ? { plan: planInput(input.plan) } : {}),
});

const REVISION = 'The draft revision this edit was made on (Group.draftRevision; 0 before the first draft).';

const PipelineComponentInput = builder.inputType('PipelineComponentInput', {
  fields: (t) => ({
    id: t.string({ required: true, description: '1–63 lower-case letters, digits, `_`, `-`.' }),
    kind: t.field({ type: ComponentKind, required: true }),
    type: t.string({ required: true }),
    options: t.field({ type: 'JSON', description: 'Options of the type; default `{}`.' }),
    inputs: t.stringList({ description: 'Ids or `<id>.<output>` it reads; sources read none.' }),
    enabled: t.boolean({ description: 'Default true.' }),
    platforms: t.field({
      type: [Platform],
      description: 'Default: where a source type runs; every platform for transforms and sinks.',
    }),
  }),
});

const PipelineComponentChanges = builder.inputType('PipelineComponentChanges', {
  description: 'Fields left out stay as they are. A new `id` renames every reference to the component.',
  fields: (t) => ({
    id: t.string(),
    type: t.string(),
    options: t.field({ type: 'JSON', description: 'Replaces every option.' }),
    inputs: t.stringList(),
    enabled: t.boolean(),
    platforms: t.field({ type: [Platform] }),
  }),
});

const UpdateDraftInput = builder.inputType('UpdateDraftInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    revision: t.int({ required: true, description: REVISION }),
    document: t.field({
      type: 'JSON',
      required: true,
      description: '`{ components: [PipelineComponentInput] }`; at most 200 components and 192 KiB of JSON.',
    }),
  }),
});
const AddDraftComponentInput = builder.inputType('AddDraftComponentInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    revision: t.int({ required: true, description: REVISION }),
    component: t.field({ type: PipelineComponentInput, required: true }),
  }),
});
const UpdateDraftComponentInput = builder.inputType('UpdateDraftComponentInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    revision: t.int({ required: true, description: REVISION }),
    id: t.string({ required: true }),
    changes: t.field({ type: PipelineComponentChanges, required: true }),
  }),
});
const RemoveDraftComponentInput = builder.inputType('RemoveDraftComponentInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    revision: t.int({ required: true, description: REVISION }),
    id: t.string({ required: true }),
  }),
});
const ConnectDraftComponentsInput = builder.inputType('ConnectDraftComponentsInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    revision: t.int({ required: true, description: REVISION }),
    from: t.string({ required: true, description: 'An id or `<id>.<output>` (e.g. `route.errors`).' }),
    to: t.string({ required: true, description: 'The transform or sink that reads it.' }),
  }),
});
const DisconnectDraftComponentsInput = builder.inputType('DisconnectDraftComponentsInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    revision: t.int({ required: true, description: REVISION }),
    from: t.string({ required: true, description: 'An id or `<id>.<output>` (e.g. `route.errors`).' }),
    to: t.string({ required: true, description: 'The transform or sink that stops reading it.' }),
  }),
});
const DiscardDraftInput = builder.inputType('DiscardDraftInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    revision: t.int({ description: 'When given, refuse if the draft changed since (DraftConflictError).' }),
  }),
});
const PublishDraftInput = builder.inputType('PublishDraftInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    revision: t.int({ required: true, description: REVISION }),
    message: t.string({ required: true, description: 'What changed and why; 1–1000 characters.' }),
    plan: t.field({
      type: RolloutPlanInput,
      description: 'How the version reaches the agents; left out: the group’s saved plan, else all at once.',
    }),
  }),
});
const RollbackToVersionInput = builder.inputType('RollbackToVersionInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    version: t.int({ required: true, description: 'The older version whose content to publish again.' }),
    message: t.string({ description: 'Default: "Rollback to version N".' }),
    plan: t.field({
      type: RolloutPlanInput,
      description: 'How the version reaches the agents; left out: the group’s saved plan, else all at once.',
    }),
  }),
});
const ApplyPipelineInput = builder.inputType('ApplyPipelineInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    yaml: t.string({ required: true, description: 'A pipeline document as YAML (see Group.pipelineYaml).' }),
    message: t.string({ required: true }),
    plan: t.field({
      type: RolloutPlanInput,
      description: 'How the version reaches the agents; left out: the group’s saved plan, else all at once.',
    }),
  }),
});

const ApplyPipelineResult = builder
  .objectRef<{ groupId: string; version: number; created: boolean }>('AppliedPipeline')
  .implement({
    fields: (t) => ({
      created: t.exposeBoolean('created', { description: 'False: the content was already published.' }),
      version: t.prismaField({
        type: 'PipelineVersion',
        description: 'The version now published (the existing one when nothing was created).',
        resolve: (query, r, _args, ctx) =>
          ctx.fleet.db.pipelineVersion.findUniqueOrThrow({
            ...query,
            where: { groupId_version: { groupId: r.groupId, version: r.version } },
          }),
      }),
      rollout: t.prismaField({
        type: 'Rollout',
        nullable: true,
        description: 'The rollout of the version (see Rollout.supersedes for one it replaced).',
        resolve: (query, r, _args, ctx) =>
          ctx.fleet.db.rollout.findFirst({
            ...query,
            where: { groupId: r.groupId, kind: 'config', version: r.version },
          }),
      }),
    }),
  });

type DraftEdit = (ctx: FleetContext, actor: Actor, input: unknown) => Promise<DraftState>;

builder.mutationFields((t) => {
  const edit = (
    description: string,
    input:
      | typeof UpdateDraftInput
      | typeof AddDraftComponentInput
      | typeof UpdateDraftComponentInput
      | typeof RemoveDraftComponentInput
      | typeof ConnectDraftComponentsInput
      | typeof DisconnectDraftComponentsInput,
    run: DraftEdit,
  ) =>
    t.field({
      type: PipelineDraftRef,
      description,
      authScopes: { editor: true },
      args: { input: t.arg({ type: input, required: true }) },
      errors: { types: DRAFT_ERRORS, dataField: { name: 'draft' } },
      resolve: (_root, args, ctx) =>
        runFleet(() => run(ctx.fleet, actorOf(ctx), fleetInput(args.input as object))),
    });
  return {
    updateDraft: edit(
      'Replace the whole draft document (the draft starts from the published one).',
      UpdateDraftInput,
      updateDraft,
    ),
    addDraftComponent: edit('Add a component to the draft.', AddDraftComponentInput, addDraftComponent),
    updateDraftComponent: edit(
      'Change one component of the draft: options, inputs, enabled (enable/disable), platforms, type or id.',
      UpdateDraftComponentInput,
      updateDraftComponent,
    ),
    removeDraftComponent: edit(
      'Remove a component and every reference to it.',
      RemoveDraftComponentInput,
      removeDraftComponent,
    ),
    connectDraftComponents: edit(
      'Make `to` read `from`.',
      ConnectDraftComponentsInput,
      connectDraftComponents,
    ),
    disconnectDraftComponents: edit(
      'Stop `to` reading `from`.',
      DisconnectDraftComponentsInput,
      disconnectDraftComponents,
    ),
    discardDraft: t.int({
      description: 'Drop the draft; answers the draft revision after it (send it with the next edit).',
      authScopes: { editor: true },
      args: { input: t.arg({ type: DiscardDraftInput, required: true }) },
      errors: { types: DRAFT_ERRORS, dataField: { name: 'revision' } },
      resolve: (_root, { input }, ctx) =>
        runFleet(() => discardDraft(ctx.fleet, actorOf(ctx), fleetInput(input))),
    }),
    publishDraft: t.prismaField({
      type: 'PipelineVersion',
      description:
        'Publish the draft as the next version with a message; agents get it. Refused (ConfigInvalidError, ComponentPolicyError) when it has errors.',
      authScopes: { editor: true },
      args: { input: t.arg({ type: PublishDraftInput, required: true }) },
      errors: { types: PUBLISH_ERRORS, dataField: { name: 'version' } },
      resolve: async (query, _root, { input }, ctx) => {
        const version = await runFleet(() => publishDraft(ctx.fleet, actorOf(ctx), publishInput(input)));
        return ctx.fleet.db.pipelineVersion.findUniqueOrThrow({
          ...selected(query),
          where: { groupId_version: { groupId: String(input.groupId), version } },
        });
      },
    }),
    rollbackToVersion: t.prismaField({
      type: 'PipelineVersion',
      description: 'Publish an older version’s content as a new version (audited as a rollback).',
      authScopes: { editor: true },
      args: { input: t.arg({ type: RollbackToVersionInput, required: true }) },
      errors: { types: PUBLISH_ERRORS, dataField: { name: 'version' } },
      resolve: async (query, _root, { input }, ctx) => {
        const version = await runFleet(() => rollbackToVersion(ctx.fleet, actorOf(ctx), publishInput(input)));
        return ctx.fleet.db.pipelineVersion.findUniqueOrThrow({
          ...selected(query),
          where: { groupId_version: { groupId: String(input.groupId), version } },
        });
      },
    }),
    applyPipeline: t.field({
      type: ApplyPipelineResult,
      description: 'Publish a pipeline file with a message; the same content again creates no version.',
      authScopes: { editor: true },
      args: { input: t.arg({ type: ApplyPipelineInput, required: true }) },
      errors: { types: PUBLISH_ERRORS, dataField: { name: 'result' } },
      resolve: async (_root, { input }, ctx) => {
        const result = await runFleet(() => applyPipeline(ctx.fleet, actorOf(ctx), publishInput(input)));
        return { groupId: String(input.groupId), ...result };
      },
    }),
  };
});
