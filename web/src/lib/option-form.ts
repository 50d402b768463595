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

export type Widget = 'text' | 'number' | 'bool' | 'select' | 'list' | 'json';

export interface FormField {
  name: string;
  widget: Widget;
  required: boolean;
  choices: string[];
  help: string;
  placeholder: string;
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

const isPresent = (value: unknown) =>
  value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0);

function widgetOf(option: CatalogueOption): Widget {
  const types = option.types;
  if (option.enum?.length) return 'select';
  if (types.length === 1) {
    if (types[0] === 'bool') return 'bool';
    if (NUMERIC.has(types[0])) return 'number';
    if (types[0] === 'array' && option.items !== 'object') return 'list';
    if (['string', 'condition', 'ascii_char'].includes(types[0])) return 'text';
  }
  return 'json';
}

/** An example as placeholder text: strings as they are, anything else as JSON. */
function placeholderOf(example: unknown): string {
  if (example === undefined || example === null) return '';
  return typeof example === 'string' ? example : JSON.stringify(example);
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
    if (serverManaged.has(name) || name.includes('[]') || name.includes('*') || parents.has(name)) continue;
    if (hidden(name)) continue;
    const isRequired =
      required.has(name) || (!!option.requiredWhen && conditionHolds(option.requiredWhen, values));
    fields.push({
      name,
      widget: widgetOf(option),
      required: isRequired,
      choices: option.enum ?? [],
      help: helpOf(option),
      placeholder: placeholderOf(option.example),
    });
  }
  return { required: fields.filter((f) => f.required), optional: fields.filter((f) => !f.required) };
}

/** "Set one of: a, b" hints for the component's requiredOneOf groups. */
export function oneOfHints(component: CatalogueComponent): string[] {
  return component.requiredOneOf.map((group) => `Set one of: ${group.options.join(', ')}.`);
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
