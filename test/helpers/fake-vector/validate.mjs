// `vector validate`: load + topology checks, transform checks (0.57+), then unless --no-environment a
// data_dir probe, component builds and sink health checks (which always pass here). Exit 0 or 78.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DATA_DIR, buildErrors, dataDirError } from './build.mjs';
import { loadConfig } from './config.mjs';
import { Formatter } from './formatter.mjs';
import { interpolationEnabled } from './interpolate.mjs';
import { io } from './io.mjs';
import { debugPathList, requestedLocations, resolveLocations } from './paths.mjs';
import { versionAtLeast } from './version.mjs';

const EXIT_OK = 0;
const EXIT_CONFIG = 78;

/** Runs `vector validate` with its parsed options, the root options (colour) and a logger; returns the exit code. */
export function runValidate(opts, rootOpts, log) {
  const resolved = resolveLocations(requestedLocations(opts.paths, opts));
  if (resolved.missing) {
    log.error('vector::config::loading', 'Config file not found in path.', { path: resolved.missing });
    return EXIT_CONFIG;
  }
  const color = rootOpts.color === 'always' || (rootOpts.color === 'auto' && Boolean(io().stdout.isTTY));
  const fmt = new Formatter(color);
  const paths = debugPathList(resolved.locations);
  const env = interpolationEnabled(opts) ? io().env : undefined;
  const { config, errors, warnings } = loadConfig(resolved.locations, { env, allowEmpty: false });
  const loadFailures = errors.length ? errors : opts.denyWarnings ? warnings : [];
  if (loadFailures.length) {
    fmt.title(`Failed to load ${paths}`);
    loadFailures.forEach((error) => fmt.error(error));
    return EXIT_CONFIG;
  }
  if (warnings.length) {
    fmt.title(`Loaded with warnings ${paths}`);
    warnings.forEach((warning) => fmt.warning(warning));
  } else fmt.success(`Loaded ${paths}`);

  const transformStep = versionAtLeast('0.57.0');
  if (transformStep) {
    const transformErrors = buildErrors(config, ['transforms']);
    if (transformErrors.length) {
      fmt.title('Transform errors');
      transformErrors.forEach((error) => fmt.error(error));
      return EXIT_CONFIG;
    }
    fmt.success('Transforms configuration');
  }
  const sections = transformStep ? ['sources', 'sinks'] : undefined;
  if (!opts.noEnvironment && !validateEnvironment(config, sections, opts, fmt)) return EXIT_CONFIG;
  fmt.validated();
  return EXIT_OK;
}

// Creates (then removes) <data_dir>/validate_tmp, builds the components and runs the health checks.
function validateEnvironment(config, sections, opts, fmt) {
  const dataDir = config.data_dir ?? DEFAULT_DATA_DIR;
  const tmpDir = join(dataDir, 'validate_tmp');
  const problem = dataDirError(dataDir) ?? makeDir(tmpDir, dataDir);
  if (problem) {
    fmt.error(problem);
    return false;
  }
  try {
    const errors = buildErrors(config, sections);
    if (errors.length) {
      fmt.title('Component errors');
      errors.forEach((error) => fmt.error(error));
      return false;
    }
    fmt.success('Component configuration');
    return opts.skipHealthchecks || healthchecks(config, opts.denyWarnings, fmt);
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

function makeDir(path, dataDir) {
  try {
    mkdirSync(path, { recursive: true });
    return undefined;
  } catch (error) {
    return `Could not create subdirectory "validate_tmp" inside of data dir ${JSON.stringify(dataDir)}: ${error.message}`;
  }
}

// Health checks always succeed here; disabled ones are warnings (failures under --deny-warnings).
function healthchecks(config, denyWarnings, fmt) {
  if (config.healthchecks?.enabled === false) {
    fmt.warning('Health checks are disabled');
    return !denyWarnings;
  }
  let passed = true;
  for (const [id, sink] of Object.entries(config.sinks ?? {})) {
    if (sink.healthcheck === false || sink.healthcheck?.enabled === false) {
      fmt.warning(`Health check disabled for "${id}"`);
      passed &&= !denyWarnings;
    } else fmt.success(`Health check "${id}"`);
  }
  return passed;
}
