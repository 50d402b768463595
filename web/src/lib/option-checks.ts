/**
 * What an options form checks before it submits (required options, "set one of" groups, JSON that
 * does not parse), and server field errors in plain language. The server words its option errors
 * the way Vector does (`missing field \`labels\``, `invalid type: string "x", expected uint`) so that
 * they agree with `vector validate`; a form shows them reworded for people, and the message as it is
 * when it has no known shape.
 */
import { formFields, getPath, isPresent, orList, type CatalogueComponent } from './option-form.ts';

/** The field-error key of an option, as the server names it (relative to the mutation input). */
export const optionErrorKey = (name: string): string => `options.${name}`;

/**
 * Problems the form can see without the server, keyed like server field errors (`options.<name>`):
 * required options left empty, "set one of" groups with none or several set, JSON fields whose text
 * does not parse. Empty when the options may be submitted.
 */
export function checkBeforeSubmit(
  component: CatalogueComponent,
  values: Record<string, unknown>,
): Record<string, string> {
  const errors: Record<string, string> = {};
  const { required, optional } = formFields(component, values);
  for (const field of required) {
    if (field.oneOf.length === 0 && !isPresent(getPath(values, field.name)))
      errors[optionErrorKey(field.name)] = 'Required.';
  }
  for (const { options } of component.requiredOneOf) {
    const set = options.filter((name) => isPresent(getPath(values, name)));
    if (set.length === 1) continue;
    const message =
      set.length === 0 ? `Set ${orList(options)}.` : `Set only one of ${orList(options)}, not both.`;
    for (const name of set.length === 0 ? options : set) errors[optionErrorKey(name)] = message;
  }
  const typesOf = new Map(component.options.map((o) => [o.name, o.types]));
  for (const field of [...required, ...optional]) {
    const value = getPath(values, field.name);
    if (field.widget === 'json' && typeof value === 'string' && !typesOf.get(field.name)?.includes('string'))
      errors[optionErrorKey(field.name)] = 'This is not valid JSON. Check quotes, commas and brackets.';
  }
  return errors;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  uint: 'a whole number (0 or more)',
  int: 'a whole number',
  float: 'a number',
  bool: 'on or off (true or false)',
  array: 'a list',
  object: 'keys and values',
  'a map of options': 'keys and values',
  ascii_char: 'a single character',
  condition: 'a condition',
};

const typeWords = (expected: string) =>
  orList(expected.split(' or ').map((type) => TYPE_WORDS[type.trim()] ?? type.trim()));

/** Vector-style phrasings the server uses, and their rewording. */
const SHAPES: [RegExp, (match: RegExpMatchArray) => string][] = [
  [/^missing field `([^`]+)`/, () => 'Required.'],
  [/^invalid type: .*, expected (.+)$/, (m) => `Enter ${typeWords(m[1])}.`],
  [
    /^unknown variant `([^`]*)`, expected one of (.+)$/,
    (m) => `“${m[1]}” is not one of the choices (${m[2].replaceAll('`', '')}).`,
  ],
  [/^unknown field `([^`]+)`/, (m) => `“${m[1]}” is not an option of this component; remove it.`],
  [
    /^must provide exactly one of (.+) configuration$/,
    (m) => `Set exactly one of ${orList(m[1].replaceAll('`', '').split(/,\s*|\s+or\s+/))}.`,
  ],
  [/^`([^`]+)` is set by the server/, (m) => `Flotilla sets “${m[1]}” itself; remove it.`],
];

/** One server field message in plain language (Vector's wording reworded; anything else as it is). */
export function plainMessage(message: string): string {
  const text = message.replace(/ in `[^`]+`\.?$/, '');
  for (const [shape, reword] of SHAPES) {
    const match = text.match(shape);
    if (match) return reword(match);
  }
  return text;
}

/** Server field errors (path → message) with every message in plain language. */
export function plainFieldErrors(errors: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).map(([path, message]) => [path, plainMessage(message)]));
}

/**
 * Whether a field error belongs to option `name`: its own key or one inside it (`options.labels.app`,
 * `options.include[0]`). A form hides these once the field is edited.
 */
export function belongsToOption(errorKey: string, name: string): boolean {
  const own = optionErrorKey(name);
  return errorKey === own || errorKey.startsWith(`${own}.`) || errorKey.startsWith(`${own}[`);
}
