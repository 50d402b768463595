// Reading config files: interpolation, parsing by format (from the extension, unknown = TOML) and merging
// several files or a --config-dir into one table, as Vector's config loader does.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { interpolate } from './interpolate.mjs';
import { parseToml } from './toml.mjs';
import { describeValue, isMap } from './values.mjs';

const COMPONENT_DIRS = ['sources', 'transforms', 'sinks', 'enrichment_tables'];
const DUPLICATE_LABEL = {
  sources: 'source id',
  transforms: 'transform id',
  sinks: 'sink id',
  enrichment_tables: 'enrichment_table name',
  secret: 'secret id',
};

/**
 * Loads resolved locations (`{path, format?, dir?}`): reads each file, interpolates it when `env` is
 * given, parses it and merges everything. Returns `{config, files, errors}` where `files` lists
 * `{path, raw, bytes}` for every file read (before interpolation) and `config` is set when errors is empty.
 */
export function loadLocations(locations, env) {
  const files = [];
  const parts = [];
  const errors = [];
  for (const location of locations) {
    const entries = location.dir
      ? directoryEntries(location.path)
      : [{ ...location, format: formatOf(location) }];
    for (const entry of entries) {
      const loaded = loadFile(entry, env, files);
      if (loaded.errors) errors.push(...loaded.errors);
      else parts.push(entry.kind ? { [entry.kind]: { [entry.id]: loaded.value } } : loaded.value);
    }
  }
  if (errors.length) return { files, errors };
  return { files, ...merge(parts) };
}

function knownFormat(path) {
  const extension = extname(path).slice(1);
  if (extension === 'yaml' || extension === 'yml') return 'yaml';
  return extension === 'json' || extension === 'toml' ? extension : undefined;
}

function formatOf(location) {
  return location.format ?? knownFormat(location.path) ?? 'toml';
}

// Top-level files with a known extension, then one component per file in the kind sub-directories.
function directoryEntries(dir) {
  const entries = listFiles(dir).map((name) => ({ path: join(dir, name), format: knownFormat(name) }));
  for (const kind of COMPONENT_DIRS) {
    for (const name of listFiles(join(dir, kind))) {
      entries.push({
        path: join(dir, kind, name),
        format: knownFormat(name),
        kind,
        id: basename(name, extname(name)),
      });
    }
  }
  return entries.filter((entry) => entry.format);
}

function listFiles(dir) {
  try {
    return readdirSync(dir)
      .filter((name) => statSync(join(dir, name)).isFile())
      .sort();
  } catch {
    return [];
  }
}

function loadFile(entry, env, files) {
  let bytes;
  try {
    bytes = readFileSync(entry.path);
  } catch (error) {
    return { errors: [`Error opening config file ${JSON.stringify(entry.path)}: ${error.message}`] };
  }
  const raw = bytes.toString('utf8');
  files.push({ path: entry.path, raw, bytes });
  const interpolated = env ? interpolate(raw, env) : { text: raw, errors: [] };
  if (interpolated.errors.length) return { errors: interpolated.errors };
  try {
    const value = parse(interpolated.text, entry.format) ?? {};
    if (!isMap(value)) return { errors: [`invalid type: ${describeValue(value)}, expected a map`] };
    return { value };
  } catch (error) {
    return { errors: [error.message] };
  }
}

function parse(text, format) {
  if (format === 'json') return JSON.parse(text);
  if (format === 'toml') return parseToml(text);
  const doc = parseDocument(text, { merge: true, uniqueKeys: true });
  if (doc.errors.length) throw new Error(doc.errors[0].message.replace(/:\n[\s\S]*$/, ''));
  return doc.toJS();
}

// Components are merged by ID (a repeated ID of one kind is an error); any other top-level key must not
// carry two different values.
function merge(parts) {
  const config = {};
  const errors = [];
  for (const part of parts) {
    for (const [key, value] of Object.entries(part)) {
      if (DUPLICATE_LABEL[key] && isMap(value) && isMap(config[key] ?? {})) {
        config[key] ??= {};
        for (const [id, component] of Object.entries(value)) {
          if (Object.hasOwn(config[key], id)) errors.push(`duplicate ${DUPLICATE_LABEL[key]} found: ${id}`);
          else config[key][id] = component;
        }
      } else if (Object.hasOwn(config, key) && JSON.stringify(config[key]) !== JSON.stringify(value)) {
        errors.push(`conflicting values for '${key}' found`);
      } else config[key] = value;
    }
  }
  return errors.length ? { errors } : { config, errors };
}
