// What serde rejects while deserializing Vector's ConfigBuilder: unknown top-level keys, api fields,
// component types, unknown component options (where the component denies them), transform option
// values (transform-values.mjs), enum values and required options. serde stops at the first problem, so there is at most one error.
import {
  KINDS,
  TOP_LEVEL_ENUMS,
  TOP_LEVEL_KEYS,
  canonicalComponent,
  componentSchema,
  conditionHolds,
  knownOptions,
  ownOptions,
  typeNames,
} from './catalogue.mjs';
import { transformValueError } from './transform-values.mjs';
import { describeValue, exactlyOneOf, getPath, isMap, oneOf } from './values.mjs';
import { versionAtLeast } from './version.mjs';

const TABLE_TYPES = {
  enrichment_tables: ['file', 'geoip', 'memory', 'mmdb'],
  secret: ['aws_secrets_manager', 'directory', 'exec', 'file'],
};

/** serde's first deserialization error for a merged config, or undefined when it deserializes. */
export function deserializeError(config) {
  for (const [key, value] of Object.entries(config)) {
    const error = topLevelError(key, value);
    if (error) return error;
  }
  return globalOptionsError(config);
}

function topLevelError(key, value) {
  if (!TOP_LEVEL_KEYS.includes(key)) return `unknown field \`${key}\``;
  if (KINDS[key] || TABLE_TYPES[key]) {
    if (!isMap(value)) return `invalid type: ${describeValue(value)}, expected a map in \`${key}\``;
    for (const [id, item] of Object.entries(value)) {
      const error = KINDS[key] ? componentError(key, id, item) : typedTableError(key, id, item);
      if (error) return error;
    }
  }
  if (key === 'api') return apiError(value);
  const variants = TOP_LEVEL_ENUMS[key];
  if (variants && !variants.includes(value))
    return `unknown variant \`${value}\`, expected ${oneOf(variants)}`;
  return undefined;
}

// `api` denies unknown fields; graphql and playground exist up to 0.54.
function apiError(api) {
  if (!isMap(api)) return `invalid type: ${describeValue(api)}, expected struct Options in \`api\``;
  const fields = versionAtLeast('0.55.0')
    ? ['enabled', 'address']
    : ['enabled', 'address', 'graphql', 'playground'];
  const unknown = Object.keys(api).find((field) => !fields.includes(field));
  return unknown && `unknown field \`${unknown}\`, expected ${oneOf(fields)} in \`api\``;
}

// enrichment_tables and secret entries: only their `type` tag is checked.
function typedTableError(section, id, table) {
  const where = `${section}.${id}`;
  if (!isMap(table)) return `invalid type: ${describeValue(table)}, expected a map in \`${where}\``;
  if (table.type === undefined) return `missing field \`type\` in \`${where}\``;
  const variants = TABLE_TYPES[section];
  return variants.includes(table.type)
    ? undefined
    : `unknown variant \`${table.type}\`, expected ${oneOf(variants)} in \`${where}\``;
}

function componentError(section, id, component) {
  const where = `${section}.${id}`;
  if (!isMap(component)) return `invalid type: ${describeValue(component)}, expected a map in \`${where}\``;
  if (component.type === undefined || component.type === null)
    return `missing field \`type\` in \`${where}\``;
  const schema = componentSchema(section, component.type);
  if (!schema)
    return `unknown variant \`${component.type}\`, expected ${oneOf(typeNames(section))} in \`${where}\``;
  const config = canonicalComponent(component, schema);
  return (
    fieldError(config, schema, where) ??
    (section === 'transforms' ? transformValueError(config, schema, where) : undefined) ??
    enumError(config, schema, where) ??
    requiredError(config, schema, where)
  );
}

function fieldError(config, schema, where) {
  if (config.inputs !== undefined) {
    if (!Array.isArray(config.inputs))
      return `invalid type: ${describeValue(config.inputs)}, expected a sequence in \`${where}.inputs\``;
    const bad = config.inputs.find((input) => typeof input !== 'string');
    if (bad !== undefined)
      return `invalid type: ${describeValue(bad)}, expected a string in \`${where}.inputs\``;
  }
  if (!schema.deniesUnknownFields) return undefined;
  const known = knownOptions(schema);
  const unknown = Object.keys(config).find((key) => !known.has(key));
  return unknown && `unknown field \`${unknown}\`, expected ${oneOf(ownOptions(schema))} in \`${where}\``;
}

// String enums (`string|uint` options also take a number); nested objects that are lists or maps of
// free-form keys are not walked.
function enumError(config, schema, where) {
  for (const [name, option] of Object.entries(schema.options)) {
    const value = option.enum ? getPath(config, name) : undefined;
    if (value === undefined || option.enum.includes(value) || isMap(value) || Array.isArray(value)) continue;
    if (typeof value === 'number' && [option.type].flat().includes('uint')) continue;
    const found =
      typeof value === 'string' ? `unknown variant \`${value}\`` : `invalid type: ${describeValue(value)}`;
    return `${found}, expected ${oneOf(option.enum)} in \`${where}.${name}\``;
  }
  return undefined;
}

// `required`, `conditionallyRequired` (condition holds), `requiredWhenParentPresent` (parent given and
// condition holds), then one-of groups inside an object that is present (a serde enum such as dedupe's
// `fields`). Top-level one-of groups are checked when the component is built (build.mjs).
function requiredError(config, schema, where) {
  const required = [
    ...schema.required,
    ...schema.conditionallyRequired
      .filter(({ when }) => conditionHolds(config, when))
      .map(({ name }) => name),
    ...schema.requiredWhenParentPresent
      .filter(
        ({ whenPresent, when }) =>
          getPath(config, whenPresent) !== undefined && (!when || conditionHolds(config, when)),
      )
      .map(({ name }) => name),
  ];
  for (const name of required) {
    if (getPath(config, name) !== undefined) continue;
    const segments = name.split('.');
    let depth = 0;
    while (
      depth < segments.length - 1 &&
      getPath(config, segments.slice(0, depth + 1).join('.')) !== undefined
    )
      depth += 1;
    const parent = [where, ...segments.slice(0, depth)].join('.');
    return `missing field \`${segments[depth]}\` in \`${parent}\``;
  }
  for (const group of schema.requiredOneOf.filter((names) => names[0].includes('.'))) {
    const parent = group[0].split('.').slice(0, -1).join('.');
    const present = group.filter((name) => getPath(config, name) !== undefined);
    if (getPath(config, parent) !== undefined && present.length !== 1)
      return `${exactlyOneOf(group)} in \`${where}.${parent}\``;
  }
  return undefined;
}

function globalOptionsError(config) {
  if (config.expire_metrics !== undefined && config.expire_metrics_secs !== undefined) {
    return 'Cannot set both `expire_metrics` and `expire_metrics_secs`.';
  }
  const alpha = config.latency_ewma_alpha;
  if (alpha !== undefined && !(alpha > 0 && alpha < 1)) {
    return `Global \`latency_ewma_alpha\` must be between 0 and 1 exclusive (0 < alpha < 1), got ${alpha}`;
  }
  const halfLife = config.buffer_utilization_ewma_half_life_seconds;
  if (halfLife !== undefined && !(halfLife > 0)) {
    return `Global \`buffer_utilization_ewma_half_life_seconds\` must be greater than 0, got ${halfLife}`;
  }
  return undefined;
}
