/**
 * Typed access to the Vector component catalogue (catalogue.json) and validation of the `options`
 * an operator gives an input (source), a transform or an output (sink).
 *
 * catalogue.json is a trimmed copy of shared/vector-reference/components.json (Vector 0.58.0-dev):
 * `versionDiff`, aliases, notes and units are dropped; the options every component of a kind
 * shares live once in `commonOptions` and are merged back by getComponent; data types are
 * flattened to `outputTypes` (sources), `inputTypes` (transforms, sinks) and `namedOutputs`.
 * Regenerate it by re-applying that trimming when the reference is updated.
 */
import catalogueJson from './catalogue.json' with { type: 'json' };
import { conditionHolds, getOption, isPlainObject } from './conditions.ts';
import { checkOptionValues } from './option-values.ts';
import type { ComponentKind, ComponentSpec, OptionSpec } from './catalogue-types.ts';
import type { FieldIssue } from '../errors.ts';
import { Platform } from '../../protocol/v1.ts';

type Section = 'sources' | 'transforms' | 'sinks';

interface Catalogue {
  commonOptions: Record<Section, Record<string, OptionSpec>>;
  components: Record<Section, Record<string, Omit<ComponentSpec, 'type'>>>;
}

const catalogue = catalogueJson as unknown as Catalogue;

const SECTIONS: Record<ComponentKind, Section> = {
  source: 'sources',
  transform: 'transforms',
  sink: 'sinks',
};
/** Keys the server writes itself; they are never accepted inside an operator's options. */
export const SERVER_MANAGED_OPTIONS = ['type', 'inputs'] as const;

const specCache = new Map<string, ComponentSpec>();

/**
 * The catalogue entry for a component type, with the common options of its kind merged in. Call it
 * to look up what a type accepts; returns undefined for a type the catalogue does not know
 * (including prototype names such as `constructor`).
 */
export function getComponent(kind: ComponentKind, type: string): ComponentSpec | undefined {
  const cacheKey = `${kind}:${type}`;
  const cached = specCache.get(cacheKey);
  if (cached) return cached;
  const section = SECTIONS[kind];
  const byType = catalogue.components[section];
  if (!Object.hasOwn(byType, type)) return undefined;
  const entry = byType[type];
  const spec: ComponentSpec = {
    ...entry,
    type,
    options: { ...entry.options, ...catalogue.commonOptions[section] },
  };
  specCache.set(cacheKey, spec);
  return spec;
}

/** Every catalogued component of a kind, sorted by type; for pickers and documentation. Never fails. */
export function listComponents(kind: ComponentKind): ComponentSpec[] {
  return Object.keys(catalogue.components[SECTIONS[kind]])
    .sort()
    .map((type) => getComponent(kind, type) as ComponentSpec);
}

/**
 * The platforms a new input of this source type should run on by default (journald → linux,
 * kubernetes_logs → kubernetes, most → both). An unknown type gets both platforms; its type is
 * rejected separately by validateComponentOptions.
 */
export function defaultPlatforms(sourceType: string): Platform[] {
  return [...(getComponent('source', sourceType)?.platforms ?? Platform.options)];
}

const fieldPath = (name: string) => `options.${name}`;
const leaf = (name: string) => name.slice(name.lastIndexOf('.') + 1);
const parentOf = (name: string) => name.slice(0, Math.max(0, name.lastIndexOf('.')));
const isSet = (options: Record<string, unknown>, name: string) => getOption(options, name) !== undefined;

/** A nested requirement (`encoding.codec`) only applies while its parent object is present. */
function parentPresent(options: Record<string, unknown>, name: string): boolean {
  const parent = parentOf(name);
  return parent === '' || isPlainObject(getOption(options, parent));
}

function requirementIssues(spec: ComponentSpec, options: Record<string, unknown>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const reported = new Set<string>();
  const missing = (name: string, why = '') => {
    if (reported.has(name) || isSet(options, name) || !parentPresent(options, name)) return;
    reported.add(name);
    issues.push({ path: fieldPath(name), message: `missing field \`${leaf(name)}\`${why}` });
  };
  const managed: readonly string[] = SERVER_MANAGED_OPTIONS;
  for (const name of spec.required) if (!managed.includes(name)) missing(name);
  for (const { name, when } of spec.conditionallyRequired) {
    if (conditionHolds(when, options)) missing(name, ` (required when ${when})`);
  }
  for (const [name, option] of Object.entries(spec.options)) {
    if (option.requiredWhen && conditionHolds(option.requiredWhen, options)) {
      missing(name, ` (required when ${option.requiredWhen})`);
    }
  }
  for (const { name, whenPresent, when } of spec.requiredWhenParentPresent) {
    if (isPlainObject(getOption(options, whenPresent)) && (!when || conditionHolds(when, options))) {
      missing(name, ` (required when \`${whenPresent}\` is set${when ? ` and ${when}` : ''})`);
    }
  }
  for (const group of spec.requiredOneOf) {
    if (!group.every((name) => parentPresent(options, name))) continue;
    const present = group.filter((name) => isSet(options, name));
    if (present.length === 1) continue;
    const path = fieldPath(present.length === 0 ? group[0] : present[1]);
    const names = group.map((name) => `\`${name}\``).join(' or ');
    issues.push({ path, message: `must provide exactly one of ${names} configuration` });
  }
  return issues;
}

type Resolved = { spec: ComponentSpec; options: Record<string, unknown> } | { issues: FieldIssue[] };

function resolve(kind: ComponentKind, type: string, options: unknown): Resolved {
  const spec = getComponent(kind, type);
  if (!spec) {
    const known = listComponents(kind).map((c) => `\`${c.type}\``);
    return {
      issues: [{ path: 'type', message: `unknown variant \`${type}\`, expected one of ${known.join(', ')}` }],
    };
  }
  if (!isPlainObject(options)) {
    const got = Array.isArray(options) ? 'sequence' : options === null ? 'null' : typeof options;
    return { issues: [{ path: 'options', message: `invalid type: ${got}, expected a map of options` }] };
  }
  return { spec, options };
}

/**
 * Validates the options of a component — an input (kind `source`), a transform or an output (kind
 * `sink`) — before it is saved or published: unknown type, options not an object, `type`/`inputs` inside options (the server
 * writes those), required options (all rules of checkRequiredOptions), value types, enums, array
 * items, and unknown keys where the component `deniesUnknownFields` (common options of the kind
 * are always allowed). Returns [] when valid; each issue names its field (`options.mode`,
 * `options.encoding.codec`). Never throws.
 */
export function validateComponentOptions(kind: ComponentKind, type: string, options: unknown): FieldIssue[] {
  const resolved = resolve(kind, type, options);
  if ('issues' in resolved) return resolved.issues;
  const issues: FieldIssue[] = [];
  const rest: Record<string, unknown> = { ...resolved.options };
  const specs: Record<string, OptionSpec> = { ...resolved.spec.options };
  for (const key of SERVER_MANAGED_OPTIONS) {
    if (Object.hasOwn(rest, key)) {
      issues.push({
        path: fieldPath(key),
        message: `\`${key}\` is set by the server and must not appear in options`,
      });
    }
    delete rest[key];
    delete specs[key];
  }
  issues.push(...requirementIssues(resolved.spec, rest));
  issues.push(...checkOptionValues(rest, specs, resolved.spec.deniesUnknownFields));
  return issues;
}
