/**
 * The server's VRL problems as editor diagnostics. The server's VRL check words each finding
 * `line L, column C: what` (1-based, columns in UTF-16 code units) and appends where and a note
 * that the full compile happens in `vector validate` on the agent; a problem without a position
 * points at the start of the program.
 */
import type { GraphProblem } from './pipeline-graph.ts';
import { problemFieldKey } from './pipeline-problems.ts';

/** One finding at a 1-based line and column. */
export interface VrlDiagnostic {
  line: number;
  column: number;
  message: string;
  severity: 'error' | 'warning';
}

const POSITIONED = /^line (\d+), column (\d+): (.*)$/s;

/** The problems of component `id`'s field `field` (a VRL program) as positioned diagnostics. */
export function vrlDiagnostics(
  problems: readonly GraphProblem[],
  id: string,
  field: string,
): VrlDiagnostic[] {
  return problems
    .filter((p) => p.component === id && !!p.field && problemFieldKey(p.field) === problemFieldKey(field))
    .map((p) => {
      const text = p.message.replace(/ in `[^`]+`(;.*)?$/s, '');
      const match = POSITIONED.exec(text);
      return match
        ? { line: Number(match[1]), column: Number(match[2]), message: match[3], severity: p.severity }
        : { line: 1, column: 1, message: text, severity: p.severity };
    });
}

/** The offset in `text` of a 1-based line and column, clamped to the text. */
export function offsetOf(text: string, line: number, column: number): number {
  const lines = text.split('\n');
  const row = Math.min(Math.max(line, 1), lines.length);
  let offset = 0;
  for (let i = 0; i < row - 1; i += 1) offset += lines[i].length + 1;
  return offset + Math.min(Math.max(column - 1, 0), lines[row - 1].length);
}
