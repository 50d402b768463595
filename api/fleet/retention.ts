/**
 * Retention: what the database keeps, and the pruning that deletes the rest in bounded batches.
 * Each batch is one statement deleting at most `batchRows` rows found through an index, so it holds
 * its row locks for milliseconds whatever the table's size, and two replicas pruning at once only
 * skip each other's rows (`FOR UPDATE SKIP LOCKED`). The job (api/jobs/retention.ts) runs it on one
 * replica at a time.
 *
 * | what | kept |
 * |---|---|
 * | finished actions (done, failed, cancelled, expired, skipped) | `actionsDays` after they were created |
 * | audit events | `auditDays` |
 * | revoked agents (and, by cascade, their actions) | `revokedAgentsDays` after the revocation |
 * | sessions | until they expire |
 * | diagnostics bundles | `diagnosticsDays` after the upload |
 */
import { Prisma } from '../generated/prisma/client.ts';
import type { RetentionPolicy } from '../config.ts';
import type { FleetContext } from './context.ts';
import { FINAL_ACTION_STATUSES } from './action-states.ts';

export type { RetentionPolicy };
/** Rows one pruning statement deletes at most. */
export const PRUNE_BATCH_ROWS = 5_000;

const FINISHED_ACTIONS = Prisma.join(FINAL_ACTION_STATUSES.map((s) => Prisma.sql`${s}`));
const DAY_MS = 86_400_000;

/** Rows deleted per kind in one pruning pass. */
export interface PruneReport {
  actions: number;
  auditEvents: number;
  agents: number;
  sessions: number;
  diagnostics: number;
  /** Statements run; the longest one's duration in ms (what a concurrent writer may wait at most). */
  batches: number;
  longestBatchMs: number;
}

/** One batch of each kind: `DELETE … WHERE id IN (SELECT id … LIMIT n FOR UPDATE SKIP LOCKED)`. */
function batchStatements(policy: RetentionPolicy, now: Date, rows: number): Record<string, Prisma.Sql> {
  const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const pick = (table: string, where: Prisma.Sql) =>
    Prisma.sql`DELETE FROM ${Prisma.raw(table)} WHERE id IN (
      SELECT id FROM ${Prisma.raw(table)} WHERE ${where} LIMIT ${rows} FOR UPDATE SKIP LOCKED)`;
  return {
    actions: pick(
      'actions',
      Prisma.sql`created_at < ${before(policy.actionsDays)} AND status::text IN (${FINISHED_ACTIONS})`,
    ),
    auditEvents: pick('audit_events', Prisma.sql`created_at < ${before(policy.auditDays)}`),
    agents: pick('agents', Prisma.sql`revoked_at < ${before(policy.revokedAgentsDays)}`),
    sessions: pick('sessions', Prisma.sql`expires_at < ${now}`),
    diagnostics: pick('agent_diagnostics', Prisma.sql`created_at < ${before(policy.diagnosticsDays)}`),
  };
}

/**
 * Delete what `policy` no longer keeps as of `now`, `batchRows` rows per statement, until each kind
 * has nothing left to delete. Resolves how many rows of each kind went and the longest statement.
 */
export async function pruneExpired(
  ctx: FleetContext,
  policy: RetentionPolicy,
  now: Date,
  batchRows = PRUNE_BATCH_ROWS,
): Promise<PruneReport> {
  const report: PruneReport = {
    actions: 0,
    auditEvents: 0,
    agents: 0,
    sessions: 0,
    diagnostics: 0,
    batches: 0,
    longestBatchMs: 0,
  };
  for (const [kind, statement] of Object.entries(batchStatements(policy, now, batchRows))) {
    for (;;) {
      const started = performance.now();
      const deleted = await ctx.db.$executeRaw(statement);
      report.batches += 1;
      report.longestBatchMs = Math.max(report.longestBatchMs, performance.now() - started);
      report[kind as 'actions' | 'auditEvents' | 'agents' | 'sessions' | 'diagnostics'] += deleted;
      if (deleted < batchRows) break;
    }
  }
  return report;
}
