/**
 * `SECRET[name]` references in component options: the syntax, which catalogue options are
 * sensitive (they may hold nothing but a reference), and the substitution done only when a config
 * is delivered to an agent. Names have no dot, so Vector's own `SECRET[backend.key]` syntax never
 * matches and is left alone.
 */
import { createHash } from 'node:crypto';
import { isNode, parseDocument, visit } from 'yaml';
import { getComponent } from './vector/components.ts';
import { getOption } from './vector/conditions.ts';
import type { FieldIssue } from './errors.ts';
import { EMPTY_CONFIG } from '../protocol/v1.ts';

/** A secret's name: letters, digits and `_`, at most 64 (no `.`: that is Vector's own syntax). */
export const SECRET_NAME = /^[A-Za-z0-9_]{1,64}$/;
const REFERENCE = /SECRET\[([A-Za-z0-9_]{1,64})\]/g;
const EXACT_REFERENCE = /^SECRET\[([A-Za-z0-9_]{1,64})\]$/;
/** Cheap test before any parsing: a config without it has nothing to resolve. */
export const REFERENCE_MARK = 'SECRET[';

/** The reference text for a secret name. */
export const secretReference = (name: string) => `SECRET[${name}]`;

/**
 * Option names that carry credentials, picked from the catalogue by name: Splunk HEC tokens
 * (`token`, `default_token`, `valid_tokens`), passwords (`auth.password`, `sasl.password`), TLS
 * key passphrases (`tls.key_pass`), AWS keys (`access_key_id`, `secret_access_key`,
 * `session_token`), API keys, and the custom `Authorization` value of `auth.value`.
 */
const SENSITIVE_LEAVES = new Set([
  'token',
  'default_token',
  'valid_tokens',
  'password',
  'key_pass',
  'access_key_id',
  'secret_access_key',
  'session_token',
  'api_key',
  'default_api_key',
]);

/** True when the catalogue option at dotted `path` is sensitive. */
export function isSensitiveOption(path: string): boolean {
  const leaf = path.slice(path.lastIndexOf('.') + 1);
  return SENSITIVE_LEAVES.has(leaf) || path === 'auth.value' || path.endsWith('.auth.value');
}

const sensitiveCache = new Map<string, string[]>();

/** The sensitive option paths of a catalogued component type (empty for an unknown type). */
export function sensitiveOptions(kind: 'source' | 'sink', type: string): string[] {
  const key = `${kind}:${type}`;
  let found = sensitiveCache.get(key);
  if (!found) {
    const spec = getComponent(kind, type);
    found = spec ? Object.keys(spec.options).filter(isSensitiveOption) : [];
    sensitiveCache.set(key, found);
  }
  return found;
}

/**
 * Issues for sensitive options holding anything but an exact `SECRET[name]` (arrays: each
 * element). Paths are `options.<dotted path>` (`[i]` for elements). Never throws.
 */
export function literalCredentialIssues(
  kind: 'source' | 'sink',
  type: string,
  options: Record<string, unknown>,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const message = 'is sensitive: store the value as a secret and write SECRET[name] here';
  for (const path of sensitiveOptions(kind, type)) {
    const value = getOption(options, path);
    if (value === undefined || value === null) continue;
    const values = Array.isArray(value)
      ? value.map((v, i) => [`options.${path}[${i}]`, v] as const)
      : [[`options.${path}`, value] as const];
    for (const [field, v] of values) {
      if (typeof v !== 'string' || !EXACT_REFERENCE.test(v)) issues.push({ path: field, message });
    }
  }
  return issues;
}

/** Every secret name referenced anywhere in `value` (strings inside objects and arrays), with the field path. */
export function referencesIn(value: unknown, path = 'options'): { path: string; name: string }[] {
  if (typeof value === 'string') {
    return [...value.matchAll(REFERENCE)].map((m) => ({ path, name: m[1] }));
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => referencesIn(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => referencesIn(v, `${path}.${k}`));
  }
  return [];
}

/** The distinct secret names a rendered YAML references. */
export function referencedNames(yaml: string): string[] {
  if (!yaml.includes(REFERENCE_MARK)) return [];
  return [...new Set([...yaml.matchAll(REFERENCE)].map((m) => m[1]))].sort();
}

/**
 * Substitute references in a rendered config's option values (sources and sinks only; the
 * server's routing transforms are VRL and never resolved). The YAML is edited as a document, so a
 * value with quotes, colons or newlines stays one scalar; resolved scalars are written
 * double-quoted. Throws an Error naming a reference `lookup` cannot resolve (never a value).
 */
export function resolveReferences(yaml: string, lookup: (name: string) => string | undefined): string {
  const doc = parseDocument(yaml);
  for (const section of ['sources', 'sinks']) {
    const node = doc.get(section, true);
    if (!isNode(node)) continue;
    visit(node, {
      Scalar(key, scalar) {
        if (key === 'key' || typeof scalar.value !== 'string' || !scalar.value.includes(REFERENCE_MARK))
          return;
        scalar.value = scalar.value.replace(REFERENCE, (_whole, name: string) => {
          const value = lookup(name);
          if (value === undefined) throw new Error(`secret "${name}" is referenced but does not exist`);
          return value;
        });
        scalar.type = 'QUOTE_DOUBLE';
      },
    });
  }
  return doc.toString({ lineWidth: 0 });
}

/** The protocol's etag of config bytes: `sha256:<hex>`. */
export const etagOf = (yaml: string) => `sha256:${createHash('sha256').update(yaml, 'utf8').digest('hex')}`;

/** What readers see instead of a literal credential saved before sensitive options required references. */
export const MASK = '********';

const masked = (value: unknown): unknown =>
  typeof value === 'string' && EXACT_REFERENCE.test(value)
    ? value
    : Array.isArray(value)
      ? value.map(masked)
      : MASK;

/** Sensitive option paths of `type` set in `options` to something other than references. */
function literalPaths(kind: 'source' | 'sink', type: string, options: Record<string, unknown>): string[] {
  return sensitiveOptions(kind, type).filter((path) => {
    const value = getOption(options, path);
    return value !== undefined && value !== null && JSON.stringify(masked(value)) !== JSON.stringify(value);
  });
}

/**
 * `options` as readers may see them: a sensitive option holding a literal (only rows saved before
 * references were required can) shows as `********`. Returns `options` itself when nothing is masked.
 */
export function maskCredentials(kind: 'source' | 'sink', type: string, options: unknown): unknown {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return options;
  const record = options as Record<string, unknown>;
  const paths = literalPaths(kind, type, record);
  if (paths.length === 0) return options;
  const copy = structuredClone(record);
  for (const path of paths) {
    const keys = path.split('.');
    let parent = copy;
    for (const key of keys.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
    const leaf = keys[keys.length - 1];
    parent[leaf] = masked(parent[leaf]);
  }
  return copy;
}

/** A stored rendering as readers may see it: literal credentials of sources and sinks masked (see maskCredentials). */
export function maskRenderedCredentials(yaml: string): string {
  if (yaml === EMPTY_CONFIG) return yaml;
  const doc = parseDocument(yaml);
  const config = doc.toJS() as Record<string, Record<string, Record<string, unknown>> | undefined>;
  let changed = false;
  for (const [section, kind] of [
    ['sources', 'source'],
    ['sinks', 'sink'],
  ] as const) {
    for (const [id, component] of Object.entries(config[section] ?? {})) {
      for (const path of literalPaths(kind, String(component.type), component)) {
        doc.setIn([section, id, ...path.split('.')], masked(getOption(component, path)));
        changed = true;
      }
    }
  }
  return changed ? doc.toString({ lineWidth: 0 }) : yaml;
}
