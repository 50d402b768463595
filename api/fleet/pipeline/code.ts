/**
 * Pipelines as code: a group's published document as YAML (export), what applying a YAML file
 * would change (plan: the diff against the published version and the problems; nothing is
 * written), and apply (publish it with a message; applying the same content again creates no
 * version). The YAML is the document itself: `components:` with id, kind, type, options, inputs,
 * enabled, platforms.
 */
import { z } from 'zod';
import { parse, stringify, YAMLParseError } from 'yaml';
import type { Actor, FleetContext } from '../context.ts';
import { FleetError, FleetErrorCode, validationError } from '../errors.ts';
import { recordAudit } from '../audit.ts';
import { inTransaction } from '../transaction.ts';
import { findGroupForUpdate } from '../group-lock.ts';
import { publishedDocument } from '../publish.ts';
import { maskCredentials } from '../secret-refs.ts';
import { parseInput } from '../validate.ts';
import { DocumentInput, sameContent, type PipelineDocument } from './document.ts';
import { diffDocuments, type PipelineDiff } from './diff.ts';
import { pipelineProblems, type PipelineProblem } from './problems.ts';
import { VersionMessage, publishChecked } from './versions.ts';
import { RolloutPlan } from '../rollout/plan.ts';

/** Longest pipeline YAML file accepted (YAML spends bytes on indentation; it still fits one GraphQL request). */
export const MAX_PIPELINE_YAML_LENGTH = 224 * 1024;

const PipelineYaml = z
  .string()
  .max(MAX_PIPELINE_YAML_LENGTH, `must be at most ${MAX_PIPELINE_YAML_LENGTH} characters`);
export const PlanPipelineInput = z.object({ groupId: z.uuid(), yaml: PipelineYaml });
export const ApplyPipelineInput = PlanPipelineInput.extend({
  message: VersionMessage,
  plan: RolloutPlan.optional(),
});

/** A document as YAML, credentials masked like every other read. Never throws. */
export function documentYaml(document: PipelineDocument): string {
  const components = document.components.map((c) => ({
    ...c,
    options: c.kind === 'transform' ? c.options : maskCredentials(c.kind, c.type, c.options),
  }));
  return stringify({ components }, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** The group's published pipeline as YAML. Throws group_not_found. */
export async function exportPipeline(ctx: FleetContext, groupId: string): Promise<string> {
  const group = await ctx.db.group.findUnique({ where: { id: groupId }, select: { id: true } });
  if (!group) throw new FleetError(FleetErrorCode.groupNotFound, `no group with id ${groupId}`);
  return documentYaml(await publishedDocument(ctx.db, groupId));
}

/** Parse pipeline YAML into a document; validation_failed on `yaml` (syntax) or `yaml.components.<i>.<field>`. */
export function parsePipelineYaml(text: string): PipelineDocument {
  let value: unknown;
  try {
    value = parse(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (error) {
    const message = error instanceof YAMLParseError ? error.message.split('\n')[0] : 'is not YAML';
    throw validationError([{ path: 'yaml', message }]);
  }
  const parsed = DocumentInput.safeParse(value ?? { components: [] });
  if (!parsed.success) {
    throw validationError(
      parsed.error.issues.map((i) => ({ path: ['yaml', ...i.path].join('.'), message: i.message })),
    );
  }
  return parsed.data;
}

export interface PipelinePlan {
  /** Published version the plan compares with. */
  version: number;
  diff: PipelineDiff;
  problems: PipelineProblem[];
  /** True when apply would publish: the content differs and no problem is an error. */
  changed: boolean;
  valid: boolean;
}

/**
 * What applying `yaml` to the group would do (`input`: groupId, yaml). Writes nothing. Throws
 * validation_failed (unparseable or unstorable document) or group_not_found.
 */
export async function planPipeline(ctx: FleetContext, input: unknown): Promise<PipelinePlan> {
  const data = parseInput(PlanPipelineInput, input);
  const document = parsePipelineYaml(data.yaml);
  const group = await ctx.db.group.findUnique({ where: { id: data.groupId } });
  if (!group) throw new FleetError(FleetErrorCode.groupNotFound, `no group with id ${data.groupId}`);
  const published = await publishedDocument(ctx.db, group.id);
  const problems = pipelineProblems(document, group);
  return {
    version: group.latestVersion,
    diff: diffDocuments(published, document, `v${group.latestVersion}`, 'file'),
    problems,
    changed: !sameContent(published, document),
    valid: problems.every((p) => p.severity !== 'error'),
  };
}

/**
 * Publish `yaml` as the group's next version with `message` (`input`: groupId, yaml, message,
 * optional rollout plan as for publishDraft),
 * audited as `pipeline.apply`; when its content equals the published version nothing is written
 * and `created` is false. Throws validation_failed, group_not_found, or like publishChecked.
 */
export async function applyPipeline(
  ctx: FleetContext,
  actor: Actor,
  input: unknown,
): Promise<{ version: number; created: boolean }> {
  const data = parseInput(ApplyPipelineInput, input);
  const document = parsePipelineYaml(data.yaml);
  return inTransaction(ctx, async (tx, emit) => {
    const group = await findGroupForUpdate(tx, data.groupId);
    if (sameContent(await publishedDocument(tx, group.id), document)) {
      return { version: group.latestVersion, created: false };
    }
    const version = await publishChecked(tx, emit, group, document, {
      actor,
      message: data.message,
      now: ctx.clock(),
      offlineAfterMs: ctx.tuning.current.offlineAfterMs,
      plan: data.plan,
    });
    await recordAudit(tx, actor, 'pipeline.apply', { type: 'group', id: group.id }, null, {
      version,
      message: data.message,
      components: document.components.length,
    });
    return { version, created: true };
  });
}
