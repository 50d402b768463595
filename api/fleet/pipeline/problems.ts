/**
 * What is wrong with a pipeline document, per component and field: the static `vector validate`
 * rules (vector/checks.ts) on the config each platform would get, plus what the document itself
 * says that Vector never sees (a component on a platform its type does not run on, the group's
 * component policy). Drafts show these on every change; publishing refuses any `error`.
 */
import { Platform } from '../../protocol/v1.ts';
import { checkPipeline } from '../vector/checks.ts';
import type { ConfigProblem } from '../vector/problems.ts';
import { getComponent } from '../vector/components.ts';
import { renderPipeline } from '../vector/render.ts';
import { policyViolation, type GroupPolicy } from '../policy.ts';
import type { PipelineDocument } from './document.ts';

export const PROBLEM_SEVERITIES = ['error', 'warning'] as const;
export type ProblemSeverity = (typeof PROBLEM_SEVERITIES)[number];

export interface PipelineProblem {
  severity: ProblemSeverity;
  /** A stable name of the rule (`unknown-input`, `cycle`, `component_not_allowed`, …). */
  rule: string;
  /** The component id, or null for the whole pipeline (`no-sinks`). */
  component: string | null;
  /** The field inside the component (`inputs`, `options.encoding.codec`), or null. */
  field: string | null;
  message: string;
  /** The platforms whose config has the problem. */
  platforms: Platform[];
}

/** A checks problem as the checks may describe it (field and severity where they know them). */
type CheckedProblem = ConfigProblem & { field?: string | null; severity?: ProblemSeverity };

/** `<component>.<field>`, `<component>`, the field, or `(pipeline)`: how errors name the culprit. */
export function problemPath(p: Pick<PipelineProblem, 'component' | 'field'>): string {
  if (p.component) return p.field ? `${p.component}.${p.field}` : p.component;
  return p.field ?? '(pipeline)';
}

/** Only the problems that block publishing. */
export function errorsOf(problems: PipelineProblem[]): PipelineProblem[] {
  return problems.filter((p) => p.severity === 'error');
}

function documentProblems(document: PipelineDocument, policy: GroupPolicy | null): PipelineProblem[] {
  const problems: PipelineProblem[] = [];
  for (const c of document.components) {
    const spec = getComponent(c.kind, c.type);
    const unsupported = spec ? c.platforms.filter((p) => !spec.platforms.includes(p)) : [];
    if (unsupported.length > 0) {
      problems.push({
        severity: 'error',
        rule: 'platform-unsupported',
        component: c.id,
        field: 'platforms',
        message: `${c.type} does not run on ${unsupported.join(', ')}`,
        platforms: unsupported,
      });
    }
    if (!policy || c.kind === 'transform' || !c.enabled) continue;
    const violation = policyViolation(policy, c.kind, c.type, c.options);
    for (const issue of violation?.issues ?? []) {
      problems.push({
        severity: 'error',
        rule: violation!.code,
        component: c.id,
        field: issue.path,
        message: issue.message,
        platforms: [...c.platforms],
      });
    }
  }
  return problems;
}

/**
 * Every problem of `document` (checked against `policy` when given), errors first, then in the
 * checks' stable order; a problem found on several platforms is listed once with all of them.
 * A platform where no source runs gets `{}` (Vector stopped) and has no problems. Never throws.
 */
export function pipelineProblems(
  document: PipelineDocument,
  policy: GroupPolicy | null = null,
): PipelineProblem[] {
  const merged = new Map<string, PipelineProblem>();
  for (const platform of Platform.options) {
    const rendered = renderPipeline(document, platform);
    if (rendered.empty) continue;
    for (const p of checkPipeline(rendered.config) as CheckedProblem[]) {
      const problem: PipelineProblem = {
        severity: p.severity ?? 'error',
        rule: p.rule,
        component: p.component ?? null,
        field: p.field ?? null,
        message: p.message,
        platforms: [platform],
      };
      const key = JSON.stringify([
        problem.severity,
        problem.rule,
        problem.component,
        problem.field,
        problem.message,
      ]);
      const seen = merged.get(key);
      if (seen) seen.platforms.push(platform);
      else merged.set(key, problem);
    }
  }
  const all = [...documentProblems(document, policy), ...merged.values()];
  return [...errorsOf(all), ...all.filter((p) => p.severity !== 'error')];
}
