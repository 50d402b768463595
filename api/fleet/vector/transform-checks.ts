/**
 * The checks Vector makes when it builds a transform rather than when it loads the config: VRL
 * programs and conditions compile (here: the VRL lint of vrl.ts, which says plainly that the full
 * compile happens on the agent), and the sample transform's rate/ratio settings make sense.
 * Messages follow Vector's (src/transforms/sample/config.rs) where it has one.
 */
import { isPlainObject } from './conditions.ts';
import type { ConfigProblem } from './problems.ts';
import type { PipelineNode } from './topology.ts';
import { lintVrl, VRL_COMPILE_NOTE } from './vrl.ts';

/** A VRL program found in a component: its text and the dotted field it sits in. */
export interface VrlField {
  field: string;
  program: string;
}

/** The values at a catalogue option path with `*` map keys expanded, with their concrete paths. */
function valuesAt(value: unknown, segments: string[], path: string[]): [string, unknown][] {
  if (segments.length === 0) return value === undefined || value === null ? [] : [[path.join('.'), value]];
  if (!isPlainObject(value)) return [];
  const [head, ...rest] = segments;
  const keys = head === '*' ? Object.keys(value) : Object.hasOwn(value, head) ? [head] : [];
  return keys.flatMap((key) => valuesAt(value[key], rest, [...path, key]));
}

/**
 * The VRL programs of a component: options the catalogue marks `vrl_program` (remap's `source`)
 * and conditions (a VRL string, or `{type: vrl, source}`; `datadog_search` conditions are not
 * VRL). Values of the wrong type are skipped: the option rules report them. Never throws.
 */
export function vrlFields(node: PipelineNode): VrlField[] {
  if (!node.spec) return [];
  const fields: VrlField[] = [];
  for (const [name, option] of Object.entries(node.spec.options)) {
    const isProgram = option.syntax === 'vrl_program';
    if (!isProgram && option.type !== 'condition') continue;
    if (name.includes('[]')) continue; // no catalogued VRL lives inside arrays of objects
    for (const [field, value] of valuesAt(node.component, name.split('.'), [])) {
      if (typeof value === 'string') fields.push({ field, program: value });
      else if (
        !isProgram &&
        isPlainObject(value) &&
        value.type === 'vrl' &&
        typeof value.source === 'string'
      ) {
        fields.push({ field: `${field}.source`, program: value.source });
      }
    }
  }
  return fields;
}

function vrlProblems(node: PipelineNode): ConfigProblem[] {
  return vrlFields(node).flatMap(({ field, program }) =>
    lintVrl(program).map((issue) => ({
      rule: 'invalid-vrl' as const,
      severity: 'error' as const,
      component: node.id,
      field,
      message: `${issue.message} in \`transforms.${node.id}.${field}\`; ${VRL_COMPILE_NOTE}`,
    })),
  );
}

/** Vector's SampleConfig::sample_rate checks, beyond the exactly-one-of `rate`/`ratio` rule. */
function sampleProblems(node: PipelineNode): ConfigProblem[] {
  const c = node.component;
  const problem = (field: string, message: string): ConfigProblem => ({
    rule: 'invalid-options',
    severity: 'error',
    component: node.id,
    field,
    message,
  });
  const set = (name: string) => c[name] !== undefined && c[name] !== null;
  const problems: ConfigProblem[] = [];
  if (set('ratio_field') && set('rate_field')) {
    problems.push(
      problem(
        'rate_field',
        "Only one value can be provided for either 'ratio_field' or 'rate_field', but not both",
      ),
    );
  }
  if (set('key_field') && (set('ratio_field') || set('rate_field'))) {
    problems.push(
      problem(
        'key_field',
        "'key_field' cannot be combined with 'ratio_field' or 'rate_field' because dynamic values can vary per event and break key-based coherence",
      ),
    );
  }
  if (typeof c.ratio === 'number' && c.ratio <= 0 && !set('rate')) {
    problems.push(
      problem('ratio', `Only positive, non-zero numbers are allowed values for \`ratio\`, value: ${c.ratio}`),
    );
  }
  if (c.rate === 0 && !set('ratio')) {
    problems.push(problem('rate', 'Only non-zero numbers are allowed values for `rate`'));
  }
  return problems;
}

/**
 * Build-time checks of one transform (VRL lint of every program and condition, sample's rate
 * rules); [] for other kinds and unknown types. Call it after the option rules. Never throws.
 */
export function transformProblems(node: PipelineNode): ConfigProblem[] {
  if (node.kind !== 'transform' || !node.spec) return [];
  return [...vrlProblems(node), ...(node.component.type === 'sample' ? sampleProblems(node) : [])];
}
