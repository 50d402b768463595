// serde's value checks for transforms, whose option types the catalogue keeps in full: value types
// (a list of types accepts any), enums, array items, and unknown keys inside documented nested
// objects (top-level keys are schema.mjs's fieldError). A condition is a VRL string or a map with
// `type` vrl or datadog_search and a string `source`. serde stops at the first problem, so this returns at most one error.
import { describeValue, isMap } from './values.mjs';

const TYPE_CHECKS = {
  string: (v) => typeof v === 'string',
  uint: (v) => Number.isInteger(v) && v >= 0,
  int: (v) => Number.isInteger(v),
  float: (v) => typeof v === 'number' && Number.isFinite(v),
  bool: (v) => typeof v === 'boolean',
  array: (v) => Array.isArray(v),
  object: (v) => isMap(v),
  ascii_char: (v) => typeof v === 'string' && /^[\x00-\x7f]$/.test(v),
  condition: (v) =>
    typeof v === 'string' ||
    (isMap(v) && typeof v.source === 'string' && ['vrl', 'datadog_search'].includes(v.type)),
  any: () => true,
};
const quoted = (names) => names.map((name) => `\`${name}\``).join(', ');

/** The first value error of a transform's options (`where` is `transforms.<id>`), or undefined. */
export function transformValueError(component, schema, where) {
  const specs = schema.options;
  const parents = new Set(
    Object.keys(specs).flatMap((key) =>
      key
        .split('.')
        .slice(0, -1)
        .map((_, i, parts) => parts.slice(0, i + 1).join('.')),
    ),
  );
  const located = (message, objectPath) =>
    `${message} in \`${objectPath ? `${where}.${objectPath}` : where}\``;

  const walk = (object, specPath, objectPath) => {
    for (const [key, value] of Object.entries(object)) {
      const exact = specPath ? `${specPath}.${key}` : key;
      const wildcard = specPath ? `${specPath}.*` : '*';
      const specKey = Object.hasOwn(specs, exact) ? exact : Object.hasOwn(specs, wildcard) ? wildcard : null;
      if (specKey === null) {
        if (specPath && schema.deniesUnknownFields) {
          const known = Object.keys(specs)
            .filter((k) => k.startsWith(`${specPath}.`) && !k.slice(specPath.length + 1).includes('.'))
            .map((k) => k.slice(specPath.length + 1))
            .filter((k) => k !== '*');
          const expected = known.length ? `, expected one of ${quoted(known)}` : '';
          return located(`unknown field \`${key}\`${expected}`, objectPath);
        }
        continue;
      }
      const fieldPath = objectPath ? `${objectPath}.${key}` : key;
      const error = check(value, specKey, objectPath, fieldPath);
      if (error) return error;
    }
    return undefined;
  };

  const check = (value, specKey, objectPath, fieldPath) => {
    if (value === null) return undefined;
    const spec = specs[specKey];
    const types = [spec.type].flat();
    if (!types.some((type) => TYPE_CHECKS[type](value)))
      return located(`invalid type: ${describeValue(value)}, expected ${types.join(' or ')}`, objectPath);
    if (spec.enum && typeof value === 'string' && !spec.enum.includes(value))
      return located(`unknown variant \`${value}\`, expected one of ${quoted(spec.enum)}`, objectPath);
    if (Array.isArray(value) && spec.items) {
      const bad = value.find((item) => !TYPE_CHECKS[spec.items](item));
      if (bad !== undefined)
        return located(`invalid type: ${describeValue(bad)}, expected ${spec.items}`, fieldPath);
    }
    if (isMap(value) && parents.has(specKey)) return walk(value, specKey, fieldPath);
    return undefined;
  };

  return walk(component, '', '');
}
