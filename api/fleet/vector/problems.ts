/**
 * What checkPipeline reports: one problem per violated rule — the static rules of `vector
 * validate`, Flotilla's own (reserved ids) and the VRL lint. Its own module so checks.ts
 * (component rules) and topology.ts (graph rules) both produce it without importing each other.
 */

export type ConfigRule =
  | 'duplicate-id'
  | 'id-contains-dot'
  | 'reserved-id'
  | 'no-sources'
  | 'no-sinks'
  | 'unknown-type'
  | 'invalid-options'
  | 'invalid-vrl'
  | 'reserved-output'
  | 'no-inputs'
  | 'duplicate-input'
  | 'unknown-input'
  | 'type-mismatch'
  | 'cycle'
  | 'no-consumers';

/** error: the config must not be published; warning: Vector loads it but something is likely amiss. */
export type ProblemSeverity = 'error' | 'warning';

export interface ConfigProblem {
  rule: ConfigRule;
  severity: ProblemSeverity;
  /** The component id the problem is about, when there is one. */
  component?: string;
  /**
   * The field of that component, as a dotted path from the component root (`inputs`, `source`,
   * `encoding.codec`, `route.errors`); absent when the problem is the component itself (its id).
   */
  field?: string;
  message: string;
}

/** The problems that block publishing (severity `error`); warnings are shown, not enforced. */
export function blockingProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems.filter((p) => p.severity === 'error');
}
