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
