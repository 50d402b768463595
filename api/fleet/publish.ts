/**
 * Publication: the one way a pipeline version comes to exist. It bumps the group's latestVersion,
 * renders the document for each platform, stores the immutable version (document, message, author,
 * rollback source) and one rendered row per platform, and starts its rollout (rollout/start.ts):
 * all at once (the baseline configVersion moves and configPublished wakes held long-polls, as
 * before rollouts) or staged by a plan. Callers hold the group row lock (findGroupForUpdate) and
 * audit the change.
 */
import type { Actor, Tx } from './context.ts';
import type { Emit } from './transaction.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { Platform } from '../protocol/v1.ts';
import { renderPipeline } from './vector/render.ts';
import { EMPTY_DOCUMENT, storedDocument, type PipelineDocument } from './pipeline/document.ts';
import { ALL_AT_ONCE, storedPlan, type RolloutPlan } from './rollout/plan.ts';
import { startConfigRollout } from './rollout/start.ts';

export interface PublishMeta {
  actor: Actor;
  message: string;
  /** The older version whose content is published again (rollback), if any. */
  rollbackOf?: number;
  /** When it is published (the fleet's clock). */
  now: Date;
  /** The offline threshold in effect (fleet settings): a staged rollout reaches online agents only. */
  offlineAfterMs: number;
  /** How it reaches the agents; absent: the group's saved plan (Group.rolloutPlan), else all at once. */
  plan?: RolloutPlan;
}

/**
 * Store `document` as version `latestVersion + 1` of group `groupId` (locked by the caller) with
 * its YAML per platform, and start its rollout (superseding one in progress). Does not check the
 * document: callers publishing new content check it first (pipeline/versions.ts publishChecked).
 * Rejects only on database errors (then the caller's transaction rolls back). Returns the new
 * version number.
 */
export async function storeVersion(
  tx: Tx,
  emit: Emit,
  groupId: string,
  document: PipelineDocument,
  meta: PublishMeta,
): Promise<number> {
  const group = await tx.group.update({
    where: { id: groupId },
    data: { latestVersion: { increment: 1 } },
  });
  const version = group.latestVersion;
  await tx.pipelineVersion.create({
    data: {
      groupId,
      version,
      document: document as unknown as Prisma.InputJsonValue,
      message: meta.message,
      author: meta.actor.label,
      authorId: meta.actor.id,
      rollbackOf: meta.rollbackOf ?? null,
    },
  });
  for (const platform of Platform.options) {
    const rendered = renderPipeline(document, platform);
    await tx.renderedConfig.create({
      data: { groupId, version, platform, yaml: rendered.yaml, etag: rendered.etag },
    });
  }
  const plan = meta.plan ?? storedPlan(group.rolloutPlan);
  await startConfigRollout(tx, emit, meta.actor, group, version, plan, meta.now, meta.offlineAfterMs);
  emit('groupUpdated', { groupId });
  return version;
}

/** The document of the group's newest version (the empty one before the first publish). */
export async function publishedDocument(
  tx: Pick<Tx, 'pipelineVersion'>,
  groupId: string,
): Promise<PipelineDocument> {
  const latest = await tx.pipelineVersion.findFirst({
    where: { groupId },
    orderBy: { version: 'desc' },
    select: { document: true },
  });
  return latest ? storedDocument(latest.document) : EMPTY_DOCUMENT;
}

/**
 * Publish the group's current document again as a new version, all at once (a rename, a changed
 * secret value: agents must fetch again although the pipeline is the same; a rollout in progress
 * is superseded). The caller holds the group lock.
 * The content was checked when it was first published and is not checked again, so a rule added
 * since never blocks a secret rotation. Returns the new version number.
 */
export async function publishGroupConfig(
  tx: Tx,
  groupId: string,
  emit: Emit,
  meta: PublishMeta,
): Promise<number> {
  const document = await publishedDocument(tx, groupId);
  return storeVersion(tx, emit, groupId, document, { ...meta, plan: ALL_AT_ONCE });
}
