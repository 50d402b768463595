/**
 * The field-level difference between an audit event's before and after snapshots, and the file
 * name and type of an audit export. Pure functions.
 */

/** One changed field: its path (`options.encoding.codec`, `labels[0]`) and its old and new values. */
export interface FieldChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

type Container = Record<string, unknown> | unknown[];

const isContainer = (value: unknown): value is Container => typeof value === 'object' && value !== null;

function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const safe = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  return parent ? (safe === key ? `${parent}.${key}` : `${parent}[${safe}]`) : safe;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function walk(path: string, before: unknown, after: unknown, out: FieldChange[]): void {
  const bothArrays = Array.isArray(before) && Array.isArray(after);
  const bothObjects =
    isContainer(before) && isContainer(after) && !Array.isArray(before) && !Array.isArray(after);
  if (bothArrays || bothObjects) {
    const b = before as Record<string, unknown>;
    const a = after as Record<string, unknown>;
    const keys = bothArrays
      ? Array.from(
          { length: Math.max((before as unknown[]).length, (after as unknown[]).length) },
          (_, i) => i,
        )
      : [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
    for (const key of keys) {
      const inBefore = Object.prototype.hasOwnProperty.call(b, key);
      const inAfter = Object.prototype.hasOwnProperty.call(a, key);
      const p = childPath(path, key);
      if (!inBefore) out.push({ path: p, kind: 'added', after: a[key] });
      else if (!inAfter) out.push({ path: p, kind: 'removed', before: b[key] });
      else walk(p, b[key], a[key], out);
    }
    return;
  }
  if (!sameValue(before, after)) out.push({ path: path || '(value)', kind: 'changed', before, after });
}

/**
 * The changes from `before` to `after`, leaves only, in key order: objects and arrays are walked
 * (a key on one side only is added or removed), other values are compared. A missing snapshot
 * (creation, deletion) makes every top-level field added or removed.
 */
export function diffSnapshots(before: unknown, after: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  const b = before ?? {};
  const a = after ?? {};
  walk('', b, a, out);
  return out;
}

/** A value as one line for a diff cell: strings as they are (empty as `""`), the rest as JSON, absent as "—". */
export function diffValue(value: unknown): string {
  if (value === undefined) return '—';
  if (value === '') return '""';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The download name of an audit export made at `at`, e.g. `flotilla-audit-2026-11-23T11-33-28Z.csv`. */
export function auditExportFileName(format: 'CSV' | 'JSON', at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(':', '-');
  return `flotilla-audit-${stamp}.${format.toLowerCase()}`;
}

/** The media type of an audit export. */
export function auditExportMediaType(format: 'CSV' | 'JSON'): string {
  return format === 'CSV' ? 'text/csv;charset=utf-8' : 'application/json';
}
