/**
 * Published pipeline versions: publishing the draft, rolling back (an older version's content
 * published as a new version: the counter never goes backwards), and the checks every new
 * version passes first. Versions are immutable; every publication is audited and emits
 * configPublished (held long-polls wake as for any config change).
 */
import { z } from 'zod';
import type { Actor, FleetContext, Tx } from '../context.ts';
import type { Group } from '../../generated/prisma/client.ts';
import { FleetError, FleetErrorCode } from '../errors.ts';
import { recordAudit } from '../audit.ts';
import { inTransaction, type Emit } from '../transaction.ts';
import { findGroupForUpdate } from '../group-lock.ts';
import { publishedDocument, storeVersion, type PublishMeta } from '../publish.ts';
import { enforceComponentRules } from '../component-rules.ts';
import { int32 } from '../../protocol/storable.ts';
import { parseInput, storableText } from '../validate.ts';
import { assertRevision, draftRevision, storeDraft } from './draft.ts';
import { sameContent, storedDocument, type PipelineDocument } from './document.ts';
import { errorsOf, pipelineProblems, problemPath } from './problems.ts';
import { RolloutPlan } from '../rollout/plan.ts';

/** Longest publish message. */
export const MAX_VERSION_MESSAGE_LENGTH = 1000;
export const VersionMessage = storableText()
  .trim()
  .min(1, 'say what changed')
  .max(MAX_VERSION_MESSAGE_LENGTH, `must be at most ${MAX_VERSION_MESSAGE_LENGTH} characters`);

export const PublishDraftInput = z.object({
  groupId: z.uuid(),
  revision: int32(),
  message: VersionMessage,
  plan: RolloutPlan.optional(),
});
export const RollbackToVersionInput = z.object({
  groupId: z.uuid(),
  version: int32(1),
  message: VersionMessage.optional(),
  plan: RolloutPlan.optional(),
});

/**
 * Throw nothing_to_publish when `document` has the content of the group's newest version: a new
 * version must change something (publishing an unchanged draft, or rolling back to the content
 * already published, stores and delivers nothing).
 */
async function assertChanged(tx: Tx, group: Group, document: PipelineDocument): Promise<void> {
  const latest = await tx.pipelineVersion.findFirst({
    where: { groupId: group.id },
    orderBy: { version: 'desc' },
    select: { version: true, document: true },
  });
  if (!latest || !sameContent(storedDocument(latest.document), document)) return;
  throw new FleetError(
    FleetErrorCode.nothingToPublish,
    `nothing to publish: the pipeline equals the published version ${latest.version}`,
  );
}

/**
 * Throw unless `document` may be published in `group`: the component rules' errors
 * (component_not_allowed, path_not_allowed, secret_required, secret_not_found, their paths
 * prefixed with the component id) or config_invalid listing every error with its
 * `<component>.<field>` path.
 */
async function assertPublishable(tx: Tx, group: Group, document: PipelineDocument): Promise<void> {
  for (const c of document.components) {
    if (!c.enabled || c.kind === 'transform') continue;
    try {
      await enforceComponentRules(tx, group, c.kind, c.type, c.options);
    } catch (error) {
      if (!(error instanceof FleetError)) throw error;
      const issues = error.issues.map((i) => ({ path: `${c.id}.${i.path}`, message: i.message }));
      throw new FleetError(error.code, `${c.id}: ${error.message}`, issues);
    }
  }
  const errors = errorsOf(pipelineProblems(document, group));
  if (errors.length > 0) {
    const first = errors[0];
    throw new FleetError(
      FleetErrorCode.configInvalid,
      `the pipeline would not pass vector validate: ${problemPath(first)}: ${first.message}`,
      errors.map((p) => ({ path: problemPath(p), message: p.message })),
    );
  }
}

/**
 * Check `document` for publication in `group` (locked) and store it as the next version. Throws
 * nothing_to_publish (same content as the newest version) or like assertPublishable; the
 * transaction then rolls back. Returns the new version number.
 */
export async function publishChecked(
  tx: Tx,
  emit: Emit,
  group: Group,
  document: PipelineDocument,
  meta: PublishMeta,
): Promise<number> {
  await assertChanged(tx, group, document);
  await assertPublishable(tx, group, document);
  return storeVersion(tx, emit, group.id, document, meta);
}

/**
 * Publish the group's newest document again, unchanged, as a new version with `meta.message`
 * saying why (a rename: a change operators roll out like any other). It passes the same checks as
 * any publication first, so a pipeline that no longer would (a policy tightened since, a migrated
 * document) is never delivered again: it throws like assertPublishable, naming what to fix, and
 * the caller's transaction rolls back. The caller holds the group lock. Returns the new version.
 */
export async function republishChecked(tx: Tx, emit: Emit, group: Group, meta: PublishMeta): Promise<number> {
  const document = await publishedDocument(tx, group.id);
  try {
    await assertPublishable(tx, group, document);
  } catch (error) {
    if (!(error instanceof FleetError)) throw error;
    throw new FleetError(
      error.code,
      `"${meta.message}" publishes the pipeline again, and it no longer passes the checks: fix it with a draft first (${error.message})`,
      error.issues,
    );
  }
  return storeVersion(tx, emit, group.id, document, meta);
}

/**
 * Publish the group's draft as the next version with `message` (`input`: groupId, revision,
 * message, optional rollout plan: default the group's saved plan, else all at once), then clear
 * the draft. Of concurrent publishes of one draft exactly one wins; the others get draft_conflict
 * or draft_not_found. A draft equal to the published version gets nothing_to_publish (the draft
 * stays; discard it). Throws like publishChecked, or group_not_found; nothing is stored or
 * delivered then. Returns the new version number.
 */
export async function publishDraft(ctx: FleetContext, actor: Actor, input: unknown): Promise<number> {
  const data = parseInput(PublishDraftInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const group = await findGroupForUpdate(tx, data.groupId);
    const { row } = await draftRevision(tx, data.groupId);
    if (!row || row.document === null) {
      throw new FleetError(FleetErrorCode.draftNotFound, 'the group has no draft to publish');
    }
    assertRevision(row, data.revision);
    const document = storedDocument(row.document);
    const version = await publishChecked(tx, emit, group, document, {
      actor,
      message: data.message,
      now: ctx.clock(),
      offlineAfterMs: ctx.tuning.current.offlineAfterMs,
      plan: data.plan,
    });
    await storeDraft(tx, emit, actor, ctx.clock(), group.id, {
      document: null,
      revision: row.revision + 1,
      baseVersion: version,
      change: { action: 'pipeline.draft.published', summary: { version } },
    });
    await recordAudit(tx, actor, 'pipeline.publish', { type: 'group', id: group.id }, null, {
      version,
      message: data.message,
      components: document.components.length,
    });
    return version;
  });
}

/**
 * Publish the content of an older version as a new version (`input`: groupId, version, optional
 * message, default "Rollback to version N", and optional rollout plan as for publishDraft), audited
 * as `pipeline.rollback` with the source version. The draft is left as it is. Throws
 * version_not_found, nothing_to_publish (that content is already the published one), or like
 * publishChecked.
 */
export async function rollbackToVersion(ctx: FleetContext, actor: Actor, input: unknown): Promise<number> {
  const data = parseInput(RollbackToVersionInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const group = await findGroupForUpdate(tx, data.groupId);
    const source = await tx.pipelineVersion.findUnique({
      where: { groupId_version: { groupId: group.id, version: data.version } },
    });
    if (!source) {
      throw new FleetError(
        FleetErrorCode.versionNotFound,
        `group "${group.slug}" has no version ${data.version}`,
        [{ path: 'version', message: `no version ${data.version}` }],
      );
    }
    const message = data.message ?? `Rollback to version ${data.version}`;
    const version = await publishChecked(tx, emit, group, storedDocument(source.document), {
      actor,
      message,
      rollbackOf: data.version,
      now: ctx.clock(),
      offlineAfterMs: ctx.tuning.current.offlineAfterMs,
      plan: data.plan,
    });
    await recordAudit(tx, actor, 'pipeline.rollback', { type: 'group', id: group.id }, null, {
      version,
      rollbackOf: data.version,
      message,
    });
    return version;
  });
}

/** How many non-revoked agents of the group last reported applying each version. Never throws. */
export async function agentsByVersion(ctx: FleetContext, groupId: string): Promise<Map<number, number>> {
  const rows = await ctx.db.agent.groupBy({
    by: ['appliedConfigVersion'],
    where: { groupId, revokedAt: null },
    _count: { _all: true },
  });
  return new Map(rows.map((r) => [r.appliedConfigVersion, r._count._all]));
}
