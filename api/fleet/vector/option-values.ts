/**
 * Value checks for component options against catalogue option specs: types, enums, array items
 * and unknown keys. Requirement rules (required, conditionallyRequired, …) live in components.ts.
 *
 * Spec keys follow the catalogue `conventions.optionNames`: dotted paths, `*` for free-form map
 * keys, `[]` for the elements of an array of objects. Issue paths are `options.<dotted path>`,
 * with `[i]` for array elements (`options.include[0]`).
 */
import { isPlainObject } from './conditions.ts';
import type { OptionSpec, OptionType } from './catalogue-types.ts';
import type { FieldIssue } from '../errors.ts';

type Specs = Record<string, OptionSpec>;

/** The condition languages of the object form `{type, source}` (the catalogue's `condition` convention). */
const CONDITION_TYPES = ['vrl', 'datadog_search'] as const;

/** A condition in object form: a known `type` and a string `source`. */
function isConditionObject(value: unknown): boolean {
  return (
    isPlainObject(value) &&
    typeof value.source === 'string' &&
    (CONDITION_TYPES as readonly unknown[]).includes(value.type)
  );
}

function matchesType(value: unknown, type: OptionType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'uint':
      return Number.isInteger(value) && (value as number) >= 0;
    case 'int':
      return Number.isInteger(value);
    case 'float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isPlainObject(value);
    case 'ascii_char':
      return typeof value === 'string' && /^[\x00-\x7f]$/.test(value);
    case 'condition':
      return typeof value === 'string' || isConditionObject(value);
    case 'any':
      return true;
  }
}

/** serde-style description of a value (`string "x"`, `integer \`1\``, `map`), for "invalid type" messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'number')
    return `${Number.isInteger(value) ? 'integer' : 'floating point'} \`${value}\``;
  if (typeof value === 'boolean') return `boolean \`${value}\``;
  return Array.isArray(value) ? 'sequence' : 'map';
}

const quoteList = (names: readonly string[]) => names.map((n) => `\`${n}\``).join(', ');

const join = (prefix: string, key: string) => (prefix === '' ? key : `${prefix}.${key}`);

class OptionWalker {
  readonly issues: FieldIssue[] = [];
  /** Spec paths that have documented children; other objects are free-form (e.g. `graph`). */
  private readonly parents = new Set<string>();

  constructor(
    private readonly specs: Specs,
    private readonly deniesUnknownFields: boolean,
  ) {
    for (const key of Object.keys(specs)) {
      for (let i = key.indexOf('.'); i !== -1; i = key.indexOf('.', i + 1)) this.parents.add(key.slice(0, i));
    }
  }

  /** Checks every key of `value`, an object found at spec path `specPath`. */
  walkObject(value: Record<string, unknown>, specPath: string, fieldPath: string): void {
    for (const [key, child] of Object.entries(value)) {
      const exact = join(specPath, key);
      const wildcard = join(specPath, '*');
      const specKey = Object.hasOwn(this.specs, exact)
        ? exact
        : Object.hasOwn(this.specs, wildcard)
          ? wildcard
          : null;
      if (specKey === null) {
        if (this.deniesUnknownFields) this.unknownField(specPath, key, `${fieldPath}.${key}`);
        continue;
      }
      this.checkValue(child, specKey, `${fieldPath}.${key}`);
    }
  }

  private unknownField(specPath: string, key: string, fieldPath: string): void {
    const prefix = specPath === '' ? '' : `${specPath}.`;
    const known = Object.keys(this.specs)
      .filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('.'))
      .map((k) => k.slice(prefix.length))
      .filter((k) => k !== '*' && k !== '[]');
    const expected = known.length > 0 ? `, expected one of ${quoteList(known)}` : '';
    this.issues.push({ path: fieldPath, message: `unknown field \`${key}\`${expected}` });
  }

  private checkValue(value: unknown, specKey: string, fieldPath: string): void {
    if (value === null) return; // an explicit null is "not set"; requirements report it if needed
    const spec = this.specs[specKey];
    const types = Array.isArray(spec.type) ? spec.type : [spec.type];
    const typeOk =
      types.some((t) => matchesType(value, t)) || (spec.acceptsBool === true && typeof value === 'boolean');
    if (!typeOk) {
      const expected = spec.acceptsBool ? [...types, 'bool'] : types;
      this.issues.push({
        path: fieldPath,
        message: `invalid type: ${describeValue(value)}, expected ${expected.join(' or ')}`,
      });
      return;
    }
    if (spec.enum && typeof value === 'string' && !spec.enum.includes(value)) {
      this.issues.push({
        path: fieldPath,
        message: `unknown variant \`${value}\`, expected one of ${quoteList(spec.enum)}`,
      });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((element, i) => this.checkElement(element, spec, specKey, `${fieldPath}[${i}]`));
    } else if (isPlainObject(value) && this.parents.has(specKey)) {
      this.walkObject(value, specKey, fieldPath);
    }
  }

  private checkElement(element: unknown, spec: OptionSpec, specKey: string, fieldPath: string): void {
    if (spec.items && !matchesType(element, spec.items)) {
      this.issues.push({
        path: fieldPath,
        message: `invalid type: ${describeValue(element)}, expected ${spec.items}`,
      });
    } else if (spec.itemEnum && typeof element === 'string' && !spec.itemEnum.includes(element)) {
      this.issues.push({
        path: fieldPath,
        message: `unknown variant \`${element}\`, expected one of ${quoteList(spec.itemEnum)}`,
      });
    } else if (isPlainObject(element) && this.parents.has(`${specKey}[]`)) {
      this.walkObject(element, `${specKey}[]`, fieldPath);
    }
  }
}

/**
 * Checks the values of `options` (the map under a component's `options`) against `specs`: type
 * (lists of types accept any of them; `acceptsBool` objects also take true/false), enum, array
 * items, and — only when `deniesUnknownFields` — unknown keys at every documented level. Objects
 * without documented children are free-form and not descended into. Returns [] when all is well;
 * never throws.
 */
export function checkOptionValues(
  options: Record<string, unknown>,
  specs: Specs,
  deniesUnknownFields: boolean,
): FieldIssue[] {
  const walker = new OptionWalker(specs, deniesUnknownFields);
  walker.walkObject(options, '', 'options');
  return walker.issues;
}
