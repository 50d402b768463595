/**
 * What checkPipeline reports: one problem per violated `vector validate` rule. Its own module so
 * checks.ts (component rules) and topology.ts (graph rules) both produce it without importing
 * each other.
 */

export type ConfigRule =
  | 'duplicate-id'
  | 'id-contains-dot'
  | 'no-sources'
  | 'no-sinks'
  | 'unknown-type'
  | 'invalid-options'
  | 'no-inputs'
  | 'duplicate-input'
  | 'unknown-input'
  | 'type-mismatch'
  | 'cycle';

export interface ConfigProblem {
  rule: ConfigRule;
  /** The component id the problem is about, when there is one. */
  component?: string;
  message: string;
}
