/**
 * Audit log: who changed what. Written inside the same transaction as the change it records,
 * so a change without its audit event (or the reverse) cannot exist.
 */
import type { Actor, Tx } from './context.ts';
import type { Prisma } from '../generated/prisma/client.ts';

export interface AuditTarget {
  type: string;
  id: string | null;
}

/**
 * Record one audit event inside transaction `tx`. Call after the change's own writes, with a
 * short before/after summary (never secrets). Rejects, and so rolls the transaction back, on failure.
 */
export async function recordAudit(
  tx: Tx,
  actor: Actor,
  action: string,
  target: AuditTarget,
  before?: Record<string, unknown> | null,
  after?: Record<string, unknown> | null,
): Promise<void> {
  await tx.auditEvent.create({
    data: {
      actorType: actor.type,
      actorId: actor.id,
      actorLabel: actor.label,
      action,
      targetType: target.type,
      targetId: target.id,
      before: (before ?? undefined) as Prisma.InputJsonValue | undefined,
      after: (after ?? undefined) as Prisma.InputJsonValue | undefined,
    },
  });
}

/** One entry of an audit batch: the target's id and its before/after summary. */
export interface AuditEntry {
  targetId: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/**
 * Record the audit events of one bulk change inside transaction `tx`, in ONE statement, however
 * many targets (one event per target of type `targetType`, so each target's history stays
 * searchable). Call after the change's own writes; rejects, and so rolls back, on failure.
 */
export async function recordAuditBatch(
  tx: Tx,
  actor: Actor,
  action: string,
  targetType: string,
  entries: AuditEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  const json = (value: Record<string, unknown> | null | undefined) => (value ? JSON.stringify(value) : null);
  await tx.$executeRaw`
    INSERT INTO audit_events (id, actor_type, actor_id, actor_label, action, target_type, target_id, before, after)
    SELECT gen_random_uuid(), ${actor.type}, ${actor.id}, ${actor.label}, ${action}, ${targetType},
      t.target_id, t.before::jsonb, t.after::jsonb
    FROM unnest(${entries.map((e) => e.targetId)}::text[], ${entries.map((e) => json(e.before))}::text[],
      ${entries.map((e) => json(e.after))}::text[]) AS t(target_id, before, after)`;
}

/** Audit actions whose name starts with this are sign-ins and sign-outs, hidden unless asked for. */
export const SESSION_ACTION_PREFIX = 'session.';

/** Most events one audit export holds; a larger result is cut to the newest this many. */
export const AUDIT_EXPORT_MAX_ROWS = 10_000;

/** What an audit list or export selects; every field optional. */
export interface AuditFilter {
  actions?: string[] | null;
  targetType?: string | null;
  targetId?: string | null;
  actorId?: string | null;
  since?: Date | null;
  /** Show `session.*` events too. Naming a session action in `actions` shows it regardless. */
  includeSessions?: boolean | null;
}

/** The where clause of an audit filter (the list, its count and the export share it). */
export function auditWhere(filter: AuditFilter | null | undefined): Prisma.AuditEventWhereInput {
  const hideSessions = !filter?.includeSessions && !filter?.actions?.length;
  return {
    ...(filter?.actions?.length ? { action: { in: filter.actions } } : {}),
    ...(hideSessions ? { NOT: { action: { startsWith: SESSION_ACTION_PREFIX } } } : {}),
    ...(filter?.targetType ? { targetType: filter.targetType } : {}),
    ...(filter?.targetId ? { targetId: filter.targetId } : {}),
    ...(filter?.actorId ? { actorId: filter.actorId } : {}),
    ...(filter?.since ? { createdAt: { gte: filter.since } } : {}),
  };
}
