// Run mode (`vector` without a subcommand): load the config (exit 78 when it is invalid), then keep
// running. SIGHUP reloads from the same paths: a config that does not load is logged and the old one
// keeps running, a changed global option is rejected, a build failure is rolled back, a vanished file
// exits 78. SIGTERM/SIGINT stop with exit 0 (nothing to drain, so at once); SIGQUIT quits.
// --watch-config polls the files. Test controls (controls.mjs) record state and simulate crashes.
import { resolve } from 'node:path';
import { DEFAULT_API_ADDRESS, startApi } from './api.mjs';
import { DEFAULT_DATA_DIR, buildErrors } from './build.mjs';
import { exporterAddress, startMetricsExporter } from './metrics.mjs';
import { componentIds, configDigest, loadConfig } from './config.mjs';
import { CRASH_ON_LOAD_MARKER, createControls } from './controls.mjs';
import { interpolationEnabled } from './interpolate.mjs';
import { loadLocations } from './load.mjs';
import { display } from './log.mjs';
import { requestedLocations, resolveLocations } from './paths.mjs';
import { BUILD_DESCRIPTION, cpuArch, vectorVersion } from './version.mjs';

const EXIT_OK = 0;
const EXIT_CRASH = 1;
const EXIT_CONFIG = 78;
const CRASH_ON_LOAD_DELAY_MS = 100;
const WATCH_INTERVAL_MS = 1000;
// Vector's GlobalOptions: changing one of these needs a restart, a reload is rejected.
const GLOBAL_OPTIONS = [
  'data_dir',
  'log_schema',
  'telemetry',
  'proxy',
  'timezone',
  'acknowledgements',
  'expire_metrics',
  'expire_metrics_secs',
  'expire_metrics_per_metric_set',
  'wildcard_matching',
  'buffer_utilization_ewma_half_life_seconds',
  'latency_ewma_alpha',
  'metrics_storage_refresh_period',
];

/** Runs Vector's main mode with the parsed root options and a logger; the process exits by itself. */
export function runVector(opts, log) {
  if (opts.threads === 0) {
    log.error('vector::app', 'The `threads` argument must be greater or equal to 1.');
    process.exit(EXIT_CONFIG);
  }
  new Vector(opts, log).start();
}

class Vector {
  constructor(opts, log) {
    this.opts = opts;
    this.log = log;
    this.requested = requestedLocations(opts.config, opts);
    this.env = interpolationEnabled(opts) ? process.env : undefined;
    this.controls = createControls(process.env.FAKE_VECTOR_STATE_DIR);
    this.startedAt = new Date().toISOString();
    this.reloads = 0;
    this.started = false;
    this.stopping = false;
  }

  start() {
    this.log.info('vector::app', 'Loading configs.', {
      paths: this.requested.map((location) => location.path),
    });
    const loaded = this.load();
    const errors = loaded.errors.length ? loaded.errors : buildErrors(loaded.config);
    if (errors.length) {
      this.configErrors(errors);
      process.exit(EXIT_CONFIG);
    }
    this.warn(loaded.warnings);
    process.on('SIGHUP', () => this.onSignal('SIGHUP', () => this.reload()));
    process.on('SIGTERM', () => this.onSignal('SIGTERM', () => this.stop('SIGTERM')));
    process.on('SIGINT', () => this.onSignal('SIGINT', () => this.stop('SIGINT')));
    process.on('SIGQUIT', () => this.onSignal('SIGQUIT', () => this.quit()));
    this.apply(loaded);
    this.log.info('vector', 'Vector has started.', {
      debug: 'false',
      version: vectorVersion(),
      arch: cpuArch(),
      revision: BUILD_DESCRIPTION,
    });
    this.started = true;
    this.controls.event('started', this.summary());
    this.controls.watchCrashFile(() => this.crash('crash_file'));
    if (this.opts.watchConfig) this.watch();
    setInterval(() => {}, 2 ** 30); // keep running until a signal arrives
  }

  // Resolves the paths again (exit 78 when one matches nothing) and loads them.
  load() {
    const resolved = resolveLocations(this.requested);
    if (resolved.missing) {
      this.log.error('vector::config::loading', 'Config file not found in path.', { path: resolved.missing });
      this.exit(EXIT_CONFIG, 'crashed', { reason: 'config_not_found' });
    }
    const loaded = loadConfig(resolved.locations, { env: this.env, allowEmpty: this.opts.allowEmptyConfig });
    return { ...loaded, locations: resolved.locations };
  }

  apply(loaded) {
    this.current = loaded;
    this.controls.writeState({
      pid: process.pid,
      startedAt: this.startedAt,
      reloads: this.reloads,
      configPath: resolve(loaded.locations[0].path),
      configSha256: configDigest(loaded.files),
      components: componentIds(loaded.config),
    });
    this.syncApi(loaded.config.api);
    this.syncMetrics(loaded.config);
    if (loaded.files.some((file) => file.raw.includes(CRASH_ON_LOAD_MARKER))) {
      setTimeout(() => this.crash('crash_on_load'), CRASH_ON_LOAD_DELAY_MS);
    }
  }

  reload() {
    if (this.stopping) return;
    const next = this.load();
    if (next.errors.length) {
      this.configErrors(next.errors);
      this.log.error('vector::topology::controller', 'Failed to load config files, reload aborted.');
      this.reloadFailed('config_load', next.errors);
      return;
    }
    const changed = GLOBAL_OPTIONS.filter(
      (key) => optionValue(this.current.config, key) !== optionValue(next.config, key),
    );
    if (changed.length) {
      this.log.error(
        'vector::topology::controller',
        'Config reload rejected due to non-reloadable global options.',
        {
          changed,
        },
      );
      this.reloadFailed(
        'global_options_changed',
        changed.map((key) => `global option \`${key}\` changed`),
      );
      return;
    }
    const buildFailures = buildErrors(next.config);
    if (buildFailures.length) {
      this.configErrors(buildFailures);
      this.log.error(
        'vector::topology::running',
        'Failed to completely load new configuration. Restoring old configuration.',
      );
      this.log.info('vector::topology::running', 'Old configuration restored successfully.');
      this.reloadFailed('topology_build_failed', buildFailures);
      return;
    }
    this.warn(next.warnings);
    this.reloads += 1;
    this.apply(next);
    this.log.info('vector', 'Vector has reloaded.', {
      path: next.locations.map((location) => location.path),
    });
    this.controls.event('reloaded', this.summary());
  }

  // Polls the config files' digest; a change triggers a reload (as the file watcher would).
  watch() {
    const poll = this.opts.watchConfigMethod === 'poll';
    const intervalMs = poll
      ? Math.max(1, this.opts.watchConfigPollIntervalSeconds) * 1000
      : WATCH_INTERVAL_MS;
    let seen = configDigest(this.current.files);
    setInterval(() => {
      const resolved = resolveLocations(this.requested);
      const digest = resolved.locations && configDigest(loadLocations(resolved.locations).files);
      if (!digest || digest === seen || digest === configDigest(this.current.files)) return;
      seen = digest;
      this.log.info('vector::config::watcher', 'Configuration file changed.');
      this.reload();
    }, intervalMs);
  }

  // Starts or stops the API as `api.enabled` says (an address change needs a restart, as in Vector).
  syncApi(api) {
    const enabled = api?.enabled === true;
    if (enabled && !this.api) {
      const address = api.address ?? DEFAULT_API_ADDRESS;
      this.api = startApi(address, {
        isRunning: () => !this.stopping,
        onListening: () => this.log.info('vector::api', 'API server running.', { address }),
        onError: (error) => {
          this.log.error('vector::app', `An error occurred that Vector couldn't handle: ${error.message}.`);
          this.exit(EXIT_OK, 'crashed', { reason: 'api_failed' });
        },
      });
    } else if (!enabled && this.api) {
      this.api.close();
      this.api = undefined;
    }
    if (!enabled && !this.started) {
      this.log.info(
        'vector::app',
        'API is disabled, enable by setting `api.enabled` to `true` and use commands like `vector top`.',
      );
    }
  }

  // Serves the internal metrics while a prometheus_exporter sink reads them (metrics.mjs).
  syncMetrics(config) {
    const address = exporterAddress(config);
    if (this.metrics && this.metrics.address !== address) {
      this.metrics.close();
      this.metrics = undefined;
    }
    if (address && !this.metrics) {
      const startedAtMs = Date.parse(this.startedAt);
      this.metrics = startMetricsExporter(
        address,
        () => ({ config: this.current.config, startedAtMs, reloads: this.reloads }),
        {
          onError: (error) =>
            this.log.error('vector::sinks::prometheus::exporter', `Failed to bind: ${error.message}.`),
        },
      );
    }
  }

  onSignal(signal, handle) {
    this.log.info('vector::signal', 'Signal received.', { signal });
    handle();
  }

  stop(signal) {
    this.stopping = true;
    this.log.info('vector::app', 'Vector is stopping.');
    this.api?.close();
    this.metrics?.close();
    this.log.info('vector::app', 'Vector has stopped.');
    this.exit(EXIT_OK, 'stopped', { signal });
  }

  quit() {
    this.log.info('vector::app', 'Vector has quit.');
    this.exit(EXIT_OK, 'stopped', { signal: 'SIGQUIT' });
  }

  crash(reason) {
    this.log.error('fake_vector', `Simulated crash (${reason}).`);
    this.exit(EXIT_CRASH, 'crashed', { reason });
  }

  // Records the final event (only once started) and exits.
  exit(code, event, fields) {
    if (this.started) this.controls.event(event, { ...fields, exitCode: code });
    process.exit(code);
  }

  summary() {
    return {
      reloads: this.reloads,
      configSha256: configDigest(this.current.files),
      components: componentIds(this.current.config),
    };
  }

  reloadFailed(reason, errors) {
    this.controls.event('reload_failed', { reason, errors, configSha256: configDigest(this.current.files) });
  }

  configErrors(errors) {
    for (const error of errors)
      this.log.error('vector::topology', 'Configuration error.', { error: display(error) });
  }

  warn(warnings) {
    for (const warning of warnings) this.log.warn('vector::config', warning);
  }
}

// A global option's effective value for comparison (data_dir defaults and is compared as a path).
function optionValue(config, key) {
  if (key === 'data_dir') return resolve(config.data_dir ?? DEFAULT_DATA_DIR);
  return JSON.stringify(config[key]);
}
