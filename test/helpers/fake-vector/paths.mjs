// Which config files and directories to load: the options' paths in Vector's order, glob-expanded,
// sorted and deduplicated like `process_paths` in src/config/loading/mod.rs.
import { expandPath } from './glob.mjs';

const DEFAULT_CONFIG_PATH = '/etc/vector/vector.yaml';

/**
 * The requested config locations: `files` (format from the extension), then --config-toml, -json,
 * -yaml (forced format), then --config-dir directories; the deprecated default file when none is given.
 */
export function requestedLocations(files, opts) {
  const locations = [
    ...files.map((path) => ({ path })),
    ...opts.configToml.map((path) => ({ path, format: 'toml' })),
    ...opts.configJson.map((path) => ({ path, format: 'json' })),
    ...opts.configYaml.map((path) => ({ path, format: 'yaml' })),
    ...opts.configDir.map((path) => ({ path, dir: true })),
  ];
  return locations.length ? locations : [{ path: DEFAULT_CONFIG_PATH }];
}

/**
 * Expands every location's glob. Returns `{locations}` (files before directories, each group sorted by
 * path, duplicates removed) or `{missing: pattern}` for the first pattern that matches nothing.
 */
export function resolveLocations(requested) {
  const found = new Map();
  for (const location of requested) {
    const matches = expandPath(location.path);
    if (matches.length === 0) return { missing: location.path };
    for (const path of matches) {
      const resolved = { ...location, path };
      found.set(JSON.stringify([Boolean(resolved.dir), path, resolved.format ?? '']), resolved);
    }
  }
  const keys = [...found.keys()].sort();
  return { locations: keys.map((key) => found.get(key)) };
}

/** The resolved locations as Vector prints them: a Rust debug list such as `["/etc/vector/vector.yaml"]`. */
export function debugPathList(locations) {
  return `[${locations.map((location) => JSON.stringify(location.path)).join(', ')}]`;
}
