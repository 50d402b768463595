// The load pipeline shared by `vector validate` and run mode: read → interpolate → parse → merge →
// deserialize checks → topology checks, plus the FAKE_VECTOR_INVALID test marker.
import { createHash } from 'node:crypto';
import { KINDS } from './catalogue.mjs';
import { loadLocations } from './load.mjs';
import { deserializeError } from './schema.mjs';
import { checkTopology } from './topology.mjs';

const INVALID_MARKER = 'FAKE_VECTOR_INVALID';

/**
 * Loads and compiles resolved config locations. `env` is the environment to interpolate from (undefined
 * when interpolation is off); `allowEmpty` is --allow-empty-config. Returns `{config, files, errors,
 * warnings}`; `config` is usable only when `errors` is empty.
 */
export function loadConfig(locations, { env, allowEmpty }) {
  const { config, files, errors } = loadLocations(locations, env);
  if (errors.length) return { files, errors, warnings: [] };
  const error = deserializeError(config);
  if (error) return { files, errors: [error], warnings: [] };
  const topology = checkTopology(config, { allowEmpty });
  return {
    config,
    files,
    errors: [...topology.errors, ...markerErrors(config, files)],
    warnings: topology.warnings,
  };
}

/** The component IDs of a loaded config: sources, then transforms, then sinks, each in config order. */
export function componentIds(config) {
  return Object.keys(KINDS).flatMap((section) => Object.keys(config[section] ?? {}));
}

/** sha256 (hex) of the loaded files' bytes, concatenated in load order (one file: that file's sha256). */
export function configDigest(files) {
  const hash = createHash('sha256');
  for (const file of files) hash.update(file.bytes);
  return hash.digest('hex');
}

// A config mentioning FAKE_VECTOR_INVALID anywhere (even in a comment) is rejected; the error names every
// component whose settings contain the marker.
function markerErrors(config, files) {
  if (
    !files.some((file) => file.raw.includes(INVALID_MARKER)) &&
    !JSON.stringify(config).includes(INVALID_MARKER)
  ) {
    return [];
  }
  const marked = Object.entries(KINDS).flatMap(([section, kind]) =>
    Object.entries(config[section] ?? {})
      .filter(([, component]) => JSON.stringify(component).includes(INVALID_MARKER))
      .map(([id]) => `${kind[0].toUpperCase()}${kind.slice(1)} "${id}"`),
  );
  const reason = `rejected by the fake vector (the config contains ${INVALID_MARKER})`;
  return marked.length ? marked.map((label) => `${label}: ${reason}`) : [`Configuration ${reason}`];
}
