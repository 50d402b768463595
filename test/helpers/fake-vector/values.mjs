// Helpers for parsed config values and for serde's error wording.

/** True for a plain key/value object (not null, not an array). */
export function isMap(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a dotted path (`encoding.codec`); null counts as absent, like serde's Option. */
export function getPath(object, path) {
  const value = path.split('.').reduce((current, key) => (isMap(current) ? current[key] : undefined), object);
  return value ?? undefined;
}

/** serde's list of alternatives: "`a`", "`a` or `b`", "one of `a`, `b`, `c`". */
export function oneOf(names) {
  const quoted = names.map((name) => `\`${name}\``);
  if (quoted.length <= 2) return quoted.join(' or ');
  return `one of ${quoted.join(', ')}`;
}

/** serde's description of an unexpected value, as in "invalid type: string \"x\", expected a sequence". */
export function describeValue(value) {
  if (value === null || value === undefined) return 'unit value';
  if (Array.isArray(value)) return 'sequence';
  if (isMap(value)) return 'map';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'boolean') return `boolean \`${value}\``;
  return Number.isInteger(value) ? `integer \`${value}\`` : `floating point \`${value}\``;
}

/** Vector's message for a group of options of which exactly one must be set (remap's wording). */
export function exactlyOneOf(names) {
  return `must provide exactly one of ${names.map((name) => `\`${name.split('.').at(-1)}\``).join(' or ')} configuration`;
}
