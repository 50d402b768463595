// The component catalogue (components.json, trimmed from the Vector reference): type lookup, option
// aliases and the catalogue's condition strings.
import { readFileSync } from 'node:fs';
import { getPath } from './values.mjs';

const catalogue = JSON.parse(readFileSync(new URL('./components.json', import.meta.url), 'utf8'));

/** Component sections of a config and the singular kind Vector uses in its messages. */
export const KINDS = { sources: 'source', transforms: 'transform', sinks: 'sink' };

/** Top-level keys the config root accepts (documented and hidden ones). */
export const TOP_LEVEL_KEYS = [...catalogue.topLevel, ...catalogue.topLevelHidden];

/** Enum-valued top-level options, e.g. `{wildcard_matching: ['strict', 'relaxed']}`. */
export const TOP_LEVEL_ENUMS = catalogue.topLevelEnums;

/** The schema of component `type` in `section` (following deprecated type names); undefined when unknown. */
export function componentSchema(section, type) {
  const types = catalogue.components[section];
  if (Object.hasOwn(types, type)) return types[type];
  return Object.values(types).find((schema) => typeAliases(schema).includes(type));
}

/** Every type name a section accepts, sorted, for "expected one of" messages. */
export function typeNames(section) {
  return Object.entries(catalogue.components[section])
    .flatMap(([name, schema]) => [name, ...typeAliases(schema)])
    .sort();
}

function typeAliases(schema) {
  return (schema.aliases.typeAliases ?? []).map((alias) => alias.split(' ')[0]);
}

/** A copy of a component config with option aliases renamed and value aliases resolved (serde `alias`). */
export function canonicalComponent(component, schema) {
  const { optionAliases = {}, valueAliases = {} } = schema.aliases;
  const canonical = Object.fromEntries(
    Object.entries(component).map(([key, value]) => [optionAliases[key] ?? key, value]),
  );
  for (const [option, aliases] of Object.entries(valueAliases)) {
    if (Object.hasOwn(aliases, canonical[option] ?? '')) canonical[option] = aliases[canonical[option]];
  }
  return canonical;
}

/** Names a component may use at its top level: its own options, common ones, `type`, and option aliases. */
export function knownOptions(schema) {
  const own = Object.keys(schema.options).filter((name) => !name.includes('.'));
  return new Set(['type', ...own, ...Object.keys(schema.aliases.optionAliases ?? {})]);
}

/** The component's own (non-common) top-level options, as serde lists them for an unknown field. */
export function ownOptions(schema) {
  return Object.entries(schema.options)
    .filter(([name, option]) => !option.common && !name.includes('.'))
    .map(([name]) => name);
}

/**
 * Evaluates a catalogue condition against a canonical component config: terms like `mode = "tcp"`
 * joined by ` or `, optionally ending in `(or mode absent)`.
 */
export function conditionHolds(component, when) {
  const absent = /\s*\(or ([\w.]+) absent\)$/.exec(when);
  if (absent && getPath(component, absent[1]) === undefined) return true;
  return when
    .replace(absent?.[0] ?? '', '')
    .split(' or ')
    .some((term) => {
      const [, path, value] = /^([\w.]+) = "(.*)"$/.exec(term.trim()) ?? [];
      return path !== undefined && getPath(component, path) === value;
    });
}
