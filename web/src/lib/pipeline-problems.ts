/**
 * The server's pipeline problems where the editor shows them: on a component's fields (keyed like
 * form field errors: `id`, `inputs`, `options.<path>`), in plain language.
 */
import { plainMessage } from './option-checks.ts';
import type { GraphComponent, GraphProblem } from './pipeline-graph.ts';

/** The option holding a `remap`'s VRL program (edited in the VRL editor, not the form). */
export const VRL_PROGRAM_OPTION = 'source';

const COMPONENT_FIELDS = new Set(['id', 'kind', 'type', 'inputs', 'enabled', 'platforms']);

/**
 * A problem's field as a form field-error key: the component's own fields as they are, options as
 * `options.<path>` (the server may name them with or without that prefix).
 */
export function problemFieldKey(field: string): string {
  return COMPONENT_FIELDS.has(field) || field.startsWith('options.') ? field : `options.${field}`;
}

/** Field errors of component `id`: the first problem per field, problems without a field left out. */
export function componentFieldErrors(problems: readonly GraphProblem[], id: string): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const problem of problems) {
    if (problem.component !== id || !problem.field) continue;
    errors[problemFieldKey(problem.field)] ??= plainMessage(problem.message);
  }
  return errors;
}

/** Counts of blocking problems (errors) and warnings. */
export function problemCounts(problems: readonly GraphProblem[]): { errors: number; warnings: number } {
  const errors = problems.filter((p) => p.severity === 'error').length;
  return { errors, warnings: problems.length - errors };
}

/** The value at a dotted field key (`options.encoding.codec`, `inputs`) of a component. */
function fieldValue(component: GraphComponent, key: string): string | undefined {
  let value: unknown = component;
  for (const part of key.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return JSON.stringify(value);
}

/**
 * The problems still standing after a local edit from `before` to `after`: a problem on a field
 * the edit changed (or of a component the edit removed or renamed) goes at once, so an error
 * clears as soon as its field is edited; the next save's answer says whether it is fixed.
 */
export function problemsAfterEdit(
  problems: readonly GraphProblem[],
  before: readonly GraphComponent[],
  after: readonly GraphComponent[],
): GraphProblem[] {
  const old = new Map(before.map((c) => [c.id, c]));
  const now = new Map(after.map((c) => [c.id, c]));
  return problems.filter((p) => {
    if (!p.component || !old.has(p.component)) return true;
    const next = now.get(p.component);
    if (!next) return false;
    if (!p.field) return true;
    const key = problemFieldKey(p.field);
    return fieldValue(old.get(p.component)!, key) === fieldValue(next, key);
  });
}
