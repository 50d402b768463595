/**
 * A unified diff (as the `diff` package writes it: `---`/`+++` headers, `@@ -a,b +c,d @@` hunks,
 * lines starting with ` `, `-`, `+`, and `\ No newline at end of file`) as rows to show unified or
 * side by side, with line numbers. Pure functions.
 */

/** One line of a unified diff. */
export interface DiffRow {
  kind: 'hunk' | 'context' | 'added' | 'removed';
  text: string;
  /** Line number in the old text (context and removed lines). */
  oldLine: number | null;
  /** Line number in the new text (context and added lines). */
  newLine: number | null;
}

/** One side-by-side row: the old line on the left, the new on the right (either may be missing). */
export interface SideBySideRow {
  kind: 'hunk' | 'context' | 'changed';
  left: { line: number; text: string; removed: boolean } | null;
  right: { line: number; text: string; added: boolean } | null;
  text?: string;
}

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/** The rows of a unified diff; file headers and "no newline" markers are left out. */
export function parseUnifiedDiff(patch: string): DiffRow[] {
  const rows: DiffRow[] = [];
  let oldLine = 0;
  let newLine = 0;
  let inHunk = false;
  for (const line of patch.split('\n')) {
    const hunk = HUNK.exec(line);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      inHunk = true;
      rows.push({ kind: 'hunk', text: line, oldLine: null, newLine: null });
    } else if (!inHunk || line.startsWith('\\')) {
      continue;
    } else if (line.startsWith('+')) {
      rows.push({ kind: 'added', text: line.slice(1), oldLine: null, newLine: newLine++ });
    } else if (line.startsWith('-')) {
      rows.push({ kind: 'removed', text: line.slice(1), oldLine: oldLine++, newLine: null });
    } else if (line.startsWith(' ')) {
      rows.push({ kind: 'context', text: line.slice(1), oldLine: oldLine++, newLine: newLine++ });
    }
  }
  return rows;
}

/** Rows side by side: each run of removed lines paired with the run of added lines after it. */
export function sideBySide(rows: readonly DiffRow[]): SideBySideRow[] {
  const out: SideBySideRow[] = [];
  let i = 0;
  while (i < rows.length) {
    const row = rows[i];
    if (row.kind === 'hunk') {
      out.push({ kind: 'hunk', left: null, right: null, text: row.text });
      i += 1;
    } else if (row.kind === 'context') {
      out.push({
        kind: 'context',
        left: { line: row.oldLine ?? 0, text: row.text, removed: false },
        right: { line: row.newLine ?? 0, text: row.text, added: false },
      });
      i += 1;
    } else {
      const removed: DiffRow[] = [];
      const added: DiffRow[] = [];
      while (rows[i]?.kind === 'removed') removed.push(rows[i++]);
      while (rows[i]?.kind === 'added') added.push(rows[i++]);
      for (let k = 0; k < Math.max(removed.length, added.length); k += 1) {
        const r = removed[k];
        const a = added[k];
        out.push({
          kind: 'changed',
          left: r ? { line: r.oldLine ?? 0, text: r.text, removed: true } : null,
          right: a ? { line: a.newLine ?? 0, text: a.text, added: true } : null,
        });
      }
    }
  }
  return out;
}

/** Lines added and removed in a diff. */
export function diffStat(rows: readonly DiffRow[]): { added: number; removed: number } {
  return {
    added: rows.filter((r) => r.kind === 'added').length,
    removed: rows.filter((r) => r.kind === 'removed').length,
  };
}
