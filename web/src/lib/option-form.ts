/**
 * Forms generated from the Vector component catalogue (GraphQL `vectorComponents`): which options
 * to show for the values entered so far, which are required, what widget each gets, and how the
 * values become the `options` object the API takes. Conditions arrive parsed by the server
 * (`OptionCondition`: any of `field equals value` / `field absent`), and the server lists the
 * option keys it writes itself; this module only evaluates them.
 */
import type { ConditionOperator } from '../../../codegen/gql/graphql.ts';

/** One comparison of a server-parsed catalogue condition. */
export interface ConditionTerm {
  field: string;
  operator: ConditionOperator;
  value?: string | null;
}

/** A server-parsed catalogue condition: it holds when any term holds. */
export interface OptionCondition {
  anyOf: ConditionTerm[];
}

export interface CatalogueOption {
  name: string;
  types: string[];
  required: boolean;
  enum?: string[] | null;
  itemEnum?: string[] | null;
  items?: string | null;
  default?: unknown;
  example?: unknown;
  note?: string | null;
  relevantWhen?: OptionCondition | null;
  requiredWhen?: OptionCondition | null;
}

export interface CatalogueComponent {
  type: string;
  required: string[];
  conditionallyRequired: { name: string; when?: OptionCondition | null }[];
  requiredWhenParentPresent: {
    name: string;
    whenPresent?: string | null;
    when?: OptionCondition | null;
  }[];
  requiredOneOf: { options: string[] }[];
  /** Option keys the server writes itself; never shown. */
  serverManagedOptions: string[];
  options: CatalogueOption[];
}

export type Widget = 'text' | 'number' | 'bool' | 'select' | 'list' | 'json' | 'map';

export interface FormField {
  name: string;
  widget: Widget;
  required: boolean;
  /** The other options of its "set one of" group (required as a group, not each), else empty. */
  oneOf: string[];
  choices: string[];
  help: string;
  /** Example text, worded so it never looks like a filled value ("e.g. …"); for a map, the value's. */
  placeholder: string;
  /** For a map: an example key ("e.g. source"); else empty. */
  keyPlaceholder: string;
}

type Values = Record<string, unknown>;

const NUMERIC = new Set(['uint', 'int', 'float']);

/** The value at a dotted path, or undefined. */
export function getPath(values: Values, path: string): unknown {
  let node: unknown = values;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Values)[key];
  }
  return node;
}

/** A copy of `values` with `path` set; undefined removes it (and parents left empty). */
export function setPath(values: Values, path: string, value: unknown): Values {
  const [head, ...rest] = path.split('.');
  const next = { ...values };
  if (rest.length === 0) {
    if (value === undefined) delete next[head];
    else next[head] = value;
    return next;
  }
  const child = next[head];
  const updated = setPath(
    typeof child === 'object' && child && !Array.isArray(child) ? (child as Values) : {},
    rest.join('.'),
    value,
  );
  if (Object.keys(updated).length === 0) delete next[head];
  else next[head] = updated;
  return next;
}

/**
 * Whether a server-parsed condition holds for `values`; no condition always holds. An option set
 * to null counts as absent, as on the server.
 */
export function conditionHolds(condition: OptionCondition | null | undefined, values: Values): boolean {
  if (!condition) return true;
  return condition.anyOf.some((term) => {
    const actual = getPath(values, term.field) ?? undefined;
    return term.operator === 'absent' ? actual === undefined : actual === term.value;
  });
}

/** Whether an option counts as set: not absent, null, blank, an empty list or an empty map. */
export const isPresent = (value: unknown): boolean =>
  value !== undefined &&
  value !== null &&
  value !== '' &&
  !(Array.isArray(value) && value.length === 0) &&
  !(typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0);

function widgetOf(option: CatalogueOption, maps: ReadonlySet<string> = new Set()): Widget {
  const types = option.types;
  if (maps.has(option.name)) return 'map';
  if (option.enum?.length) return 'select';
  if (types.length === 1) {
    if (types[0] === 'bool') return 'bool';
    if (NUMERIC.has(types[0])) return 'number';
    if (types[0] === 'array' && option.items !== 'object') return 'list';
    if (['string', 'condition', 'ascii_char'].includes(types[0])) return 'text';
  }
  return 'json';
}

const asExample = (text: string) => (text ? `e.g. ${text}` : '');

/** An example as placeholder text ("e.g. …"): strings as they are, anything else as JSON. */
function placeholderOf(example: unknown): string {
  if (example === undefined || example === null) return '';
  return asExample(typeof example === 'string' ? example : JSON.stringify(example));
}

/** A map example's plainest entry (no quoting or templates in the key), as key and value placeholders. */
function mapPlaceholders(example: unknown): { placeholder: string; keyPlaceholder: string } {
  if (typeof example !== 'object' || example === null || Array.isArray(example))
    return { placeholder: '', keyPlaceholder: '' };
  const entries = Object.entries(example as Values);
  const [key, value] = entries.find(([k]) => /^[\w.-]+$/.test(k)) ?? entries[0] ?? ['', ''];
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return { placeholder: asExample(text), keyPlaceholder: asExample(key) };
}

/**
 * Options edited as key/value maps: objects whose only documented children are their free-form
 * entries (`labels.*`, `query.*.value` …), like Loki's `labels` or the HTTP sink's `request.headers`.
 */
function mapOptionNames(options: CatalogueOption[]): Set<string> {
  const maps = new Set<string>();
  for (const option of options) {
    if (!option.types.includes('object')) continue;
    const children = options.filter((o) => o.name.startsWith(`${option.name}.`));
    if (children.length > 0 && children.every((o) => o.name.startsWith(`${option.name}.*`)))
      maps.add(option.name);
  }
  return maps;
}

function helpOf(option: CatalogueOption): string {
  const parts: string[] = [];
  if (option.note) parts.push(option.note);
  if (option.default !== undefined && option.default !== null)
    parts.push(`Default: ${JSON.stringify(option.default)}.`);
  if (option.itemEnum?.length) parts.push(`One per line, from: ${option.itemEnum.join(', ')}.`);
  else if (widgetOf(option) === 'list') parts.push('One value per line.');
  if (widgetOf(option) === 'json') parts.push('JSON value.');
  return parts.join(' ');
}

/** Required and optional fields to show for `component` given the values entered so far. */
export function formFields(
  component: CatalogueComponent,
  values: Values,
): { required: FormField[]; optional: FormField[] } {
  const byName = new Map(component.options.map((o) => [o.name, o]));
  const maps = mapOptionNames(component.options);
  const oneOf = new Map(component.requiredOneOf.flatMap((g) => g.options.map((name) => [name, g.options])));
  const serverManaged = new Set(component.serverManagedOptions);
  const parents = new Set(
    component.options.map((o) => o.name.split('.').slice(0, -1).join('.')).filter(Boolean),
  );
  const conditional = new Map(component.conditionallyRequired.map((c) => [c.name, c.when ?? null]));

  const required = new Set(component.required);
  for (const { name, when } of component.conditionallyRequired)
    if (conditionHolds(when, values)) required.add(name);
  for (const { name, whenPresent, when } of component.requiredWhenParentPresent) {
    if (whenPresent && isPresent(getPath(values, whenPresent)) && conditionHolds(when, values))
      required.add(name);
  }

  /** Hidden when it or an ancestor is irrelevant, or an ancestor only exists under a false condition. */
  const hidden = (name: string): boolean => {
    const segments = name.split('.');
    for (let i = segments.length; i > 0; i -= 1) {
      const path = segments.slice(0, i).join('.');
      const option = byName.get(path);
      if (option && !conditionHolds(option.relevantWhen, values)) return true;
      if (
        i < segments.length &&
        conditional.has(path) &&
        !required.has(path) &&
        !isPresent(getPath(values, path))
      ) {
        return true;
      }
    }
    return false;
  };

  const fields: FormField[] = [];
  for (const option of component.options) {
    const { name } = option;
    if (serverManaged.has(name) || name.includes('[]') || name.includes('*')) continue;
    if ((parents.has(name) && !maps.has(name)) || hidden(name)) continue;
    const group = oneOf.get(name) ?? [];
    const isRequired =
      group.length > 0 ||
      required.has(name) ||
      (!!option.requiredWhen && conditionHolds(option.requiredWhen, values));
    const widget = widgetOf(option, maps);
    fields.push({
      name,
      widget,
      required: isRequired,
      oneOf: group.filter((other) => other !== name),
      choices: option.enum ?? [],
      help: widget === 'map' ? (option.note ?? '') : helpOf(option),
      ...(widget === 'map'
        ? mapPlaceholders(option.example)
        : { placeholder: placeholderOf(option.example), keyPlaceholder: '' }),
    });
  }
  return { required: fields.filter((f) => f.required), optional: fields.filter((f) => !f.required) };
}

/** "Set one of: a or b." hints for the component's requiredOneOf groups. */
export function oneOfHints(component: CatalogueComponent): string[] {
  return component.requiredOneOf.map((group) => `Set one of: ${orList(group.options)}.`);
}

/** `a`, `a or b`, `a, b or c`. */
export function orList(names: readonly string[]): string {
  return names.length < 2 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** Text a widget shows for a stored value. */
export function displayValue(field: Pick<FormField, 'widget'>, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (field.widget === 'list') return Array.isArray(value) ? value.join('\n') : String(value);
  if (field.widget === 'json') return typeof value === 'string' ? value : JSON.stringify(value);
  return String(value);
}

/** The stored value for a widget's text; empty text removes the option. Bad JSON stays a string. */
export function parseValue(field: Pick<FormField, 'widget'>, text: string): unknown {
  if (text.trim() === '') return undefined;
  if (field.widget === 'list') {
    return text
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  }
  if (field.widget === 'json') {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
