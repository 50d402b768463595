// Transform build checks: every VRL program and VRL condition compiles (vrl.mjs), and the sample
// transform's rate settings pass SampleConfig::sample_rate (src/transforms/sample/config.rs).
import { getPath, isMap } from './values.mjs';
import { compileVrl } from './vrl.mjs';

/** Build errors of one transform (already deserialized, its one-of groups satisfied), unlabelled. */
export function transformProblems(component, schema) {
  return [...vrlErrors(component, schema), ...(component.type === 'sample' ? sampleErrors(component) : [])];
}

// Options with `syntax: vrl_program` are programs; `condition` options are VRL unless their
// `type` is another condition language (datadog_search).
function vrlErrors(component, schema) {
  const errors = [];
  for (const [name, option] of Object.entries(schema.options)) {
    const program = option.syntax === 'vrl_program';
    if (!program && option.type !== 'condition') continue;
    for (const [field, value] of valuesAt(component, name.split('.'), [])) {
      let text;
      let at = field;
      if (typeof value === 'string') text = value;
      else if (!program && isMap(value) && value.type === 'vrl' && typeof value.source === 'string') {
        text = value.source;
        at = `${field}.source`;
      } else continue;
      errors.push(...compileVrl(text).map((error) => `${error} in \`${at}\``));
    }
  }
  return errors;
}

function valuesAt(value, segments, path) {
  if (segments.length === 0) return value === undefined || value === null ? [] : [[path.join('.'), value]];
  if (!isMap(value)) return [];
  const [head, ...rest] = segments;
  const keys = head === '*' ? Object.keys(value) : Object.hasOwn(value, head) ? [head] : [];
  return keys.flatMap((key) => valuesAt(value[key], rest, [...path, key]));
}

function sampleErrors(c) {
  const set = (name) => getPath(c, name) !== undefined;
  const errors = [];
  if (set('ratio_field') && set('rate_field'))
    errors.push("Only one value can be provided for either 'ratio_field' or 'rate_field', but not both");
  if (set('key_field') && (set('ratio_field') || set('rate_field')))
    errors.push(
      "'key_field' cannot be combined with 'ratio_field' or 'rate_field' because dynamic values can vary per event and break key-based coherence",
    );
  if (typeof c.ratio === 'number' && c.ratio <= 0 && !set('rate'))
    errors.push(`Only positive, non-zero numbers are allowed values for \`ratio\`, value: ${c.ratio}`);
  if (c.rate === 0 && !set('ratio')) errors.push('Only non-zero numbers are allowed values for `rate`');
  return errors;
}
