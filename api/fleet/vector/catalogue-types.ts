/**
 * The shape of the Vector component catalogue (catalogue.json) as the rest of the server reads it:
 * component kinds, data types, option specs and component specs. Types and constants only, so
 * components.ts, option-values.ts, topology.ts and the GraphQL schema share them without importing
 * each other.
 */
import type { Platform } from '../../protocol/v1.ts';

/** The kinds of Vector component, in pipeline order; the GraphQL `ComponentKind` enum is built from it. */
export const COMPONENT_KINDS = ['source', 'transform', 'sink'] as const;
export type ComponentKind = (typeof COMPONENT_KINDS)[number];
export type DataType = 'log' | 'metric' | 'trace';
export type OptionType =
  'string' | 'uint' | 'int' | 'float' | 'bool' | 'array' | 'object' | 'ascii_char' | 'condition' | 'any';

/** One option, keyed in ComponentSpec.options by its dotted path (`*` map keys, `[]` array elements). */
export interface OptionSpec {
  type: OptionType | OptionType[];
  /** Required relative to its parent object; component-level lists below are authoritative. */
  required: boolean;
  enum?: string[];
  default?: unknown;
  items?: OptionType;
  itemEnum?: string[];
  acceptsBool?: boolean;
  example?: unknown;
  note?: string;
  relevantWhen?: string;
  requiredWhen?: string;
  /** template: `{{ field }}` / strftime templating; vrl_program: VRL source text (see vrl.ts). */
  syntax?: 'template' | 'vrl_program';
}

export interface ComponentSpec {
  /** The component type as written in Vector YAML (`type: syslog`). */
  type: string;
  kind: ComponentKind;
  required: string[];
  conditionallyRequired: { name: string; when: string }[];
  requiredWhenParentPresent: { name: string; whenPresent: string; when?: string }[];
  requiredOneOf: string[][];
  deniesUnknownFields: boolean;
  platforms: Platform[];
  /** Sources: event types emitted. */
  outputTypes?: DataType[];
  /** Transforms and sinks: event types accepted. */
  inputTypes?: DataType[];
  /** Named outputs (`<id>.<name>`); see checks.ts for when each exists. */
  namedOutputs?: string[];
  /** The component's own options plus the common options of its kind. */
  options: Record<string, OptionSpec>;
}
