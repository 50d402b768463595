/**
 * The audit export: the events of one filter, newest first, at most AUDIT_EXPORT_MAX_ROWS, as a
 * JSON array or an RFC 4180 CSV file. Times are absolute (ISO 8601, UTC); targets carry their
 * current name.
 */
import type { PrismaClient } from '../generated/prisma/client.ts';
import { AUDIT_EXPORT_MAX_ROWS, auditWhere, type AuditFilter } from './audit.ts';
import { auditTargetKey, auditTargetNames } from './audit-targets.ts';

/** The formats an audit export can be written in. */
export type AuditExportFormat = 'json' | 'csv';

/** One exported event. */
export interface AuditExportRow {
  createdAt: string;
  actorType: string;
  actorLabel: string;
  action: string;
  targetType: string;
  targetId: string | null;
  targetName: string | null;
  before: unknown;
  after: unknown;
}

const CSV_COLUMNS: (keyof AuditExportRow)[] = [
  'createdAt',
  'actorType',
  'actorLabel',
  'action',
  'targetType',
  'targetId',
  'targetName',
  'before',
  'after',
];

/**
 * One CSV cell: objects as JSON, quoted when it holds a comma, quote or line break, and a leading
 * `=`, `+`, `-`, `@`, tab or CR prefixed with `'` so spreadsheets do not run it as a formula.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Rows as CSV: a header line, then one CRLF-terminated line per row. */
export function auditCsv(rows: AuditExportRow[]): string {
  const lines = [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => csvCell(r[c])).join(','))];
  return lines.map((l) => `${l}\r\n`).join('');
}

/** The events matching `filter` (newest first, bounded) written as `format`. */
export async function exportAudit(
  db: PrismaClient,
  filter: AuditFilter | null | undefined,
  format: AuditExportFormat,
): Promise<string> {
  const events = await db.auditEvent.findMany({
    where: auditWhere(filter),
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: AUDIT_EXPORT_MAX_ROWS,
  });
  const names = await auditTargetNames(
    db,
    events.map((e) => ({ type: e.targetType, id: e.targetId })),
  );
  const rows: AuditExportRow[] = events.map((e) => ({
    createdAt: e.createdAt.toISOString(),
    actorType: e.actorType,
    actorLabel: e.actorLabel,
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId,
    targetName: names.get(auditTargetKey({ type: e.targetType, id: e.targetId }))?.name ?? null,
    before: e.before,
    after: e.after,
  }));
  return format === 'csv' ? auditCsv(rows) : `${JSON.stringify(rows, null, 2)}\n`;
}
