/**
 * A group's draft pipeline: at most one per group, shared by its editors, delivered to no agent.
 * The first edit starts it from the published document. Every edit names the revision it was
 * made on; an edit on an older revision is refused with draft_conflict naming who changed the
 * draft since, so two editors never overwrite each other silently. An edit is stored even when the
 * pipeline has problems (they are listed); only what cannot be stored is refused. Audited, and
 * announced on groupUpdated.
 */
import { z } from 'zod';
import type { Actor, FleetContext, Tx } from '../context.ts';
import { Prisma, type Group, type PipelineDraft } from '../../generated/prisma/client.ts';
import { FleetError, FleetErrorCode, validationError } from '../errors.ts';
import { recordAudit } from '../audit.ts';
import { inTransaction, type Emit } from '../transaction.ts';
import { findGroupForUpdate } from '../group-lock.ts';
import { publishedDocument } from '../publish.ts';
import { literalCredentialIssues } from '../secret-refs.ts';
import { int32 } from '../../protocol/storable.ts';
import { parseInput } from '../validate.ts';
import {
  DocumentInput,
  parseDocument,
  storedDocument,
  type PipelineComponent,
  type PipelineDocument,
} from './document.ts';

/** The draft as readers see it. */
export interface DraftState {
  groupId: string;
  document: PipelineDocument;
  revision: number;
  /** The published version the draft started from. */
  baseVersion: number;
  updatedBy: string;
  updatedAt: Date;
}

export const Revision = int32();
export const DraftTarget = z.object({ groupId: z.uuid(), revision: Revision });
export const UpdateDraftInput = DraftTarget.extend({ document: z.unknown() });
export const DiscardDraftInput = z.object({ groupId: z.uuid(), revision: Revision.optional() });

/** The group's draft, or null when it has none. Never throws. */
export async function getDraft(ctx: FleetContext | { db: Tx }, groupId: string): Promise<DraftState | null> {
  const row = await ctx.db.pipelineDraft.findUnique({ where: { groupId } });
  return row ? draftState(row) : null;
}

function draftState(row: PipelineDraft): DraftState | null {
  if (row.document === null) return null;
  return {
    groupId: row.groupId,
    document: storedDocument(row.document),
    revision: row.revision,
    baseVersion: row.baseVersion,
    updatedBy: row.updatedBy,
    updatedAt: row.updatedAt,
  };
}

/** The revision a client must name to change the draft (0 before the group's first draft). */
export async function draftRevision(
  tx: Tx,
  groupId: string,
): Promise<{ revision: number; row: PipelineDraft | null }> {
  const row = await tx.pipelineDraft.findUnique({ where: { groupId } });
  return { revision: row?.revision ?? 0, row };
}

/**
 * Throw draft_conflict unless `expected` is the draft's current revision; the message names who
 * changed it last and when. Call inside the transaction holding the group lock.
 */
export function assertRevision(row: PipelineDraft | null, expected: number): void {
  const current = row?.revision ?? 0;
  if (current === expected) return;
  const who = row?.updatedBy || 'someone';
  const when = row ? ` at ${row.updatedAt.toISOString()}` : '';
  throw new FleetError(
    FleetErrorCode.draftConflict,
    `the draft was changed by ${who}${when} (revision ${current}, you edited revision ${expected}): reload it and edit again`,
    [{ path: 'revision', message: `the draft is at revision ${current}, changed by ${who}` }],
  );
}

/** Sensitive options must hold `SECRET[name]`: refuse a literal credential in any component that changed. */
function assertNoLiteralCredentials(before: PipelineDocument, after: PipelineDocument): void {
  const old = new Map(before.components.map((c) => [c.id, JSON.stringify(c.options)]));
  after.components.forEach((c, index) => {
    if (c.kind === 'transform' || old.get(c.id) === JSON.stringify(c.options)) return;
    const issues = literalCredentialIssues(c.kind, c.type, c.options).map((issue) => ({
      path: `components.${index}.${issue.path}`,
      message: issue.message,
    }));
    if (issues.length > 0) {
      throw new FleetError(FleetErrorCode.secretRequired, `${c.id}: ${issues[0].message}`, issues);
    }
  });
}

/** What one edit did, for the audit log. */
export interface DraftChange {
  action: string;
  summary: Record<string, unknown>;
}

/**
 * Apply `edit` to the group's draft (started from the published document when there is none) at
 * revision `expected`, store the result as the next revision and audit it. Throws group_not_found,
 * draft_conflict, whatever `edit` throws (component_not_found, validation_failed) and
 * validation_failed / secret_required when the result cannot be stored; nothing is written then.
 */
export async function editDraft(
  ctx: FleetContext,
  actor: Actor,
  groupId: string,
  expected: number,
  edit: (document: PipelineDocument, group: Group) => { document: unknown; change: DraftChange },
): Promise<DraftState> {
  return inTransaction(ctx, async (tx, emit) => {
    const group = await findGroupForUpdate(tx, groupId);
    const { row } = await draftRevision(tx, groupId);
    assertRevision(row, expected);
    const current = row ? draftState(row) : null;
    const base = current?.document ?? (await publishedDocument(tx, groupId));
    const { document: raw, change } = edit(base, group);
    const document = parseDocument(raw);
    assertNoLiteralCredentials(base, document);
    return storeDraft(tx, emit, actor, ctx.clock(), groupId, {
      document,
      revision: expected + 1,
      baseVersion: current?.baseVersion ?? group.configVersion,
      change,
    });
  });
}

/** Write the draft row (document null: no draft) and audit the change. */
export async function storeDraft(
  tx: Tx,
  emit: Emit,
  actor: Actor,
  now: Date,
  groupId: string,
  next: { document: PipelineDocument | null; revision: number; baseVersion: number; change: DraftChange },
): Promise<DraftState> {
  const data = {
    document: (next.document ?? Prisma.DbNull) as unknown as Prisma.InputJsonValue,
    revision: next.revision,
    baseVersion: next.baseVersion,
    updatedBy: actor.label,
    updatedById: actor.id,
    updatedAt: now,
  };
  await tx.pipelineDraft.upsert({ where: { groupId }, create: { groupId, ...data }, update: data });
  await recordAudit(tx, actor, next.change.action, { type: 'group', id: groupId }, null, {
    revision: next.revision,
    ...next.change.summary,
  });
  emit('groupUpdated', { groupId });
  return {
    groupId,
    document: next.document ?? { components: [] },
    revision: next.revision,
    baseVersion: next.baseVersion,
    updatedBy: actor.label,
    updatedAt: now,
  };
}

/**
 * Replace the whole draft document (`input`: groupId, revision, document). Throws like editDraft;
 * field paths are `document.components.<i>.<field>`.
 */
export async function updateDraft(ctx: FleetContext, actor: Actor, input: unknown): Promise<DraftState> {
  const data = parseInput(UpdateDraftInput, input);
  const parsed = DocumentInput.safeParse(data.document);
  if (!parsed.success) {
    throw validationError(
      parsed.error.issues.map((i) => ({ path: ['document', ...i.path].join('.'), message: i.message })),
    );
  }
  return editDraft(ctx, actor, data.groupId, data.revision, () => ({
    document: parsed.data,
    change: { action: 'pipeline.draft.update', summary: { components: parsed.data.components.length } },
  }));
}

/**
 * Drop the group's draft (`input`: groupId, optional revision to guard against discarding someone
 * else's newer edit). Throws draft_not_found, draft_conflict or group_not_found.
 */
export async function discardDraft(ctx: FleetContext, actor: Actor, input: unknown): Promise<number> {
  const data = parseInput(DiscardDraftInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    await findGroupForUpdate(tx, data.groupId);
    const { row } = await draftRevision(tx, data.groupId);
    if (!row || row.document === null) {
      throw new FleetError(FleetErrorCode.draftNotFound, 'the group has no draft to discard');
    }
    if (data.revision !== undefined) assertRevision(row, data.revision);
    const next = await storeDraft(tx, emit, actor, ctx.clock(), data.groupId, {
      document: null,
      revision: row.revision + 1,
      baseVersion: row.baseVersion,
      change: { action: 'pipeline.draft.discard', summary: {} },
    });
    return next.revision;
  });
}

/** The component `id` of `document`, or component_not_found. */
export function findComponent(document: PipelineDocument, id: string): PipelineComponent {
  const found = document.components.find((c) => c.id === id);
  if (!found) throw new FleetError(FleetErrorCode.componentNotFound, `the draft has no component "${id}"`);
  return found;
}
