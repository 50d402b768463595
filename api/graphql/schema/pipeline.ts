/**
 * Versioned pipelines, read side (api/fleet/pipeline): the document's components, the group's
 * draft (problems, per-platform preview, diff against the published version), published versions
 * with who and why, diffs between any two versions, and the pipelines-as-code plan. Writes are in
 * pipeline-edit.ts. Options and YAML show `SECRET[name]`, never a value.
 */
import { builder } from '../builder.ts';
import { INPUT_ERRORS, runFleet } from '../errors.ts';
import { ComponentKind, Platform } from './enums.ts';
import type { Platform as PlatformName } from '../../protocol/v1.ts';
import { maskCredentials, maskRenderedCredentials } from '../../fleet/secret-refs.ts';
import { renderPipeline } from '../../fleet/vector/render.ts';
import { getDraft, type DraftState } from '../../fleet/pipeline/draft.ts';
import { publishedDocument } from '../../fleet/publish.ts';
import {
  sameContent,
  storedDocument,
  type PipelineComponent,
  type PipelineDocument,
} from '../../fleet/pipeline/document.ts';
import { pipelineProblems, PROBLEM_SEVERITIES, type PipelineProblem } from '../../fleet/pipeline/problems.ts';
import {
  diffDocuments,
  type ComponentChange,
  type PipelineDiff,
  type PlatformDiff,
} from '../../fleet/pipeline/diff.ts';
import { documentYaml, exportPipeline, planPipeline, type PipelinePlan } from '../../fleet/pipeline/code.ts';

const ProblemSeverity = builder.enumType('ProblemSeverity', {
  description: 'error: publishing is refused; warning: worth a look, publishing proceeds.',
  values: PROBLEM_SEVERITIES,
});
const ComponentChangeKind = builder.enumType('ComponentChangeKind', {
  values: ['added', 'removed', 'changed'] as const,
});

export const PipelineComponentRef = builder.objectRef<PipelineComponent>('PipelineComponent').implement({
  description: 'One Vector component of a pipeline document, wired by `inputs` as in Vector.',
  fields: (t) => ({
    id: t.exposeString('id', { description: 'The Vector component id; unique in the document.' }),
    kind: t.field({ type: ComponentKind, resolve: (c) => c.kind }),
    type: t.exposeString('type', { description: 'The catalogue type, see vectorComponents.' }),
    options: t.field({
      type: 'JSON',
      description:
        'Sensitive options show `SECRET[name]` (a literal saved before that rule shows `********`).',
      resolve: (c) => (c.kind === 'transform' ? c.options : maskCredentials(c.kind, c.type, c.options)),
    }),
    inputs: t.exposeStringList('inputs', {
      description: 'Ids (or `<id>.<output>`, e.g. `route.errors`) this component reads; empty for sources.',
    }),
    enabled: t.exposeBoolean('enabled', { description: 'Disabled components are left out of the config.' }),
    platforms: t.field({
      type: [Platform],
      description: 'Where the component runs; elsewhere it is left out, with references to it.',
      resolve: (c) => c.platforms,
    }),
  }),
});

const PipelineProblemRef = builder.objectRef<PipelineProblem>('PipelineProblem').implement({
  description: 'Something that would keep the pipeline from loading (error) or looks wrong (warning).',
  fields: (t) => ({
    severity: t.field({ type: ProblemSeverity, resolve: (p) => p.severity }),
    rule: t.exposeString('rule', { description: 'A stable rule name (`unknown-input`, `cycle`, …).' }),
    component: t.exposeString('component', { nullable: true }),
    field: t.exposeString('field', { nullable: true, description: '`inputs`, `options.encoding.codec`, …' }),
    message: t.exposeString('message'),
    platforms: t.field({ type: [Platform], resolve: (p) => p.platforms }),
  }),
});

const ComponentChangeRef = builder.objectRef<ComponentChange>('ComponentChange').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    kind: t.field({ type: ComponentKind, resolve: (c) => c.kind }),
    type: t.exposeString('type'),
    change: t.field({ type: ComponentChangeKind, resolve: (c) => c.change }),
    fields: t.exposeStringList('fields', {
      description: 'For `changed`: `type`, `inputs`, `enabled`, `platforms`, `options.<key>`.',
    }),
  }),
});

const PlatformDiffRef = builder.objectRef<PlatformDiff>('PlatformDiff').implement({
  fields: (t) => ({
    platform: t.field({ type: Platform, resolve: (d) => d.platform }),
    fromYaml: t.exposeString('fromYaml'),
    toYaml: t.exposeString('toYaml'),
    unified: t.exposeString('unified', { description: 'Unified diff of the YAML; empty when equal.' }),
    changed: t.exposeBoolean('changed'),
  }),
});

export const PipelineDiffRef = builder.objectRef<PipelineDiff>('PipelineDiff').implement({
  description: 'What changes between two pipelines: the YAML per platform and a component summary.',
  fields: (t) => ({
    changed: t.exposeBoolean('changed'),
    components: t.field({ type: [ComponentChangeRef], resolve: (d) => d.components }),
    platforms: t.field({ type: [PlatformDiffRef], resolve: (d) => d.platforms }),
  }),
});

const PREVIEW_DESCRIPTION =
  'The Vector YAML this document renders for a platform (`{}`: nothing runs there).';
const YAML_DESCRIPTION = 'The document as pipelines-as-code YAML (applyPipeline takes it back).';
const preview = (document: PipelineDocument, platform: PlatformName) =>
  maskRenderedCredentials(renderPipeline(document, platform).yaml);

export const PipelineDraftRef = builder.objectRef<DraftState>('PipelineDraft').implement({
  description:
    'The group’s unpublished pipeline, shared by its editors. Nothing of it reaches agents until published.',
  fields: (t) => ({
    components: t.field({ type: [PipelineComponentRef], resolve: (d) => d.document.components }),
    preview: t.string({
      description: PREVIEW_DESCRIPTION,
      args: { platform: t.arg({ type: Platform, required: true }) },
      resolve: (d, args) => preview(d.document, args.platform),
    }),
    yaml: t.string({ description: YAML_DESCRIPTION, resolve: (d) => documentYaml(d.document) }),
    group: t.prismaField({
      type: 'Group',
      resolve: (query, d, _args, ctx) =>
        ctx.fleet.db.group.findUniqueOrThrow({ ...query, where: { id: d.groupId } }),
    }),
    revision: t.exposeInt('revision', {
      description: 'Send it with the next edit; a stale one gets DraftConflictError.',
    }),
    baseVersion: t.exposeInt('baseVersion', { description: 'The published version the draft started from.' }),
    updatedBy: t.exposeString('updatedBy'),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    problems: t.field({
      type: [PipelineProblemRef],
      description: 'The checks publishing runs: errors first.',
      resolve: async (d, _args, ctx) => {
        const group = await ctx.fleet.db.group.findUniqueOrThrow({ where: { id: d.groupId } });
        return pipelineProblems(d.document, group);
      },
    }),
    changed: t.boolean({
      description:
        'False: the draft equals the published version, so there is nothing to publish (NothingToPublishError).',
      resolve: async (d, _args, ctx) =>
        !sameContent(await publishedDocument(ctx.fleet.db, d.groupId), d.document),
    }),
    diff: t.field({
      type: PipelineDiffRef,
      description: 'The draft against the published version.',
      resolve: async (d, _args, ctx) => {
        const group = await ctx.fleet.db.group.findUniqueOrThrow({ where: { id: d.groupId } });
        const published = await publishedDocument(ctx.fleet.db, d.groupId);
        return diffDocuments(published, d.document, `v${group.configVersion}`, 'draft');
      },
    }),
  }),
});

builder.prismaObject('PipelineVersion', {
  description: 'One published, immutable pipeline version of a group.',
  authScopes: { viewer: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    version: t.exposeInt('version'),
    message: t.exposeString('message'),
    author: t.exposeString('author', { description: 'Who published it (email, API token name, `system`).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    rollbackOf: t.exposeInt('rollbackOf', {
      nullable: true,
      description: 'The older version whose content this one published again (a rollback).',
    }),
    components: t.field({
      type: [PipelineComponentRef],
      select: { document: true },
      resolve: (v) => storedDocument(v.document).components,
    }),
    preview: t.string({
      description: PREVIEW_DESCRIPTION,
      args: { platform: t.arg({ type: Platform, required: true }) },
      select: { document: true },
      resolve: (v, args) => preview(storedDocument(v.document), args.platform),
    }),
    yaml: t.string({
      description: YAML_DESCRIPTION,
      select: { document: true },
      resolve: (v) => documentYaml(storedDocument(v.document)),
    }),
    agentCount: t.int({
      description: 'Agents of the group (not revoked) that last reported running this version.',
      select: { groupId: true, version: true },
      resolve: (v, _args, ctx) =>
        ctx.fleet.db.agent.count({
          where: { groupId: v.groupId, revokedAt: null, appliedConfigVersion: v.version },
        }),
    }),
    config: t.prismaField({
      type: 'RenderedConfig',
      nullable: true,
      description: 'The stored YAML agents of a platform download for this version.',
      args: { platform: t.arg({ type: Platform, required: true }) },
      select: { groupId: true, version: true },
      resolve: (query, v, args, ctx) =>
        ctx.fleet.db.renderedConfig.findUnique({
          ...query,
          where: {
            groupId_version_platform: { groupId: v.groupId, version: v.version, platform: args.platform },
          },
        }),
    }),
  }),
});

builder.prismaObjectFields('Group', (t) => ({
  draft: t.field({
    type: PipelineDraftRef,
    nullable: true,
    description: 'The draft pipeline, or null when nobody is editing.',
    select: { id: true },
    resolve: (g, _args, ctx) => getDraft(ctx.fleet, g.id),
  }),
  draftRevision: t.int({
    description: 'The revision to send with the next draft edit (0 before the first draft).',
    select: { pipelineDraft: { select: { revision: true } } },
    resolve: (g) => g.pipelineDraft?.revision ?? 0,
  }),
  publishedVersion: t.prismaField({
    type: 'PipelineVersion',
    nullable: true,
    description: 'The newest published version: what agents get.',
    select: { id: true, configVersion: true },
    resolve: (query, g, _args, ctx) =>
      ctx.fleet.db.pipelineVersion.findUnique({
        ...query,
        where: { groupId_version: { groupId: g.id, version: g.configVersion } },
      }),
  }),
  pipelineVersions: t.relation('pipelineVersions', {
    description: 'Published versions, newest first.',
    args: { first: t.arg.int({ description: 'At most this many (default 50, at most 200).' }) },
    query: (args) => ({ orderBy: { version: 'desc' }, take: Math.min(Math.max(args.first ?? 50, 1), 200) }),
  }),
  pipelineVersion: t.prismaField({
    type: 'PipelineVersion',
    nullable: true,
    description: 'One published version by number.',
    args: { version: t.arg.int({ required: true }) },
    select: { id: true },
    resolve: (query, g, args, ctx) =>
      ctx.fleet.db.pipelineVersion.findUnique({
        ...query,
        where: { groupId_version: { groupId: g.id, version: args.version } },
      }),
  }),
  pipelineDiff: t.field({
    type: PipelineDiffRef,
    nullable: true,
    description: 'From version `from` to version `to` (null when either does not exist).',
    args: { from: t.arg.int({ required: true }), to: t.arg.int({ required: true }) },
    select: { id: true },
    resolve: async (g, args, ctx) => {
      const rows = await ctx.fleet.db.pipelineVersion.findMany({
        where: { groupId: g.id, version: { in: [args.from, args.to] } },
      });
      const from = rows.find((r) => r.version === args.from);
      const to = rows.find((r) => r.version === args.to);
      if (!from || !to) return null;
      return diffDocuments(
        storedDocument(from.document),
        storedDocument(to.document),
        `v${args.from}`,
        `v${args.to}`,
      );
    },
  }),
  pipelineYaml: t.string({
    description: 'The published pipeline as YAML, for keeping it in git (applyPipeline takes it back).',
    select: { id: true },
    resolve: (g, _args, ctx) => exportPipeline(ctx.fleet, g.id),
  }),
}));

const PipelinePlanRef = builder.objectRef<PipelinePlan>('PipelinePlan').implement({
  description: 'What applyPipeline would do with a file; nothing was changed.',
  fields: (t) => ({
    version: t.exposeInt('version', { description: 'The published version compared with.' }),
    diff: t.field({ type: PipelineDiffRef, resolve: (p) => p.diff }),
    problems: t.field({ type: [PipelineProblemRef], resolve: (p) => p.problems }),
    changed: t.exposeBoolean('changed', { description: 'False: applying it creates no version.' }),
    valid: t.exposeBoolean('valid', { description: 'False: applying it is refused.' }),
  }),
});

const PlanPipelineInput = builder.inputType('PlanPipelineInput', {
  fields: (t) => ({
    groupId: t.id({ required: true }),
    yaml: t.string({ required: true, description: 'A pipeline document as YAML (see Group.pipelineYaml).' }),
  }),
});

builder.queryFields((t) => ({
  pipelinePlan: t.field({
    type: PipelinePlanRef,
    description: 'Compare a pipeline file with the published version and check it; changes nothing.',
    authScopes: { viewer: true },
    args: { input: t.arg({ type: PlanPipelineInput, required: true }) },
    errors: { types: INPUT_ERRORS, dataField: { name: 'plan' } },
    resolve: (_root, { input }, ctx) => runFleet(() => planPipeline(ctx.fleet, input)),
  }),
}));
