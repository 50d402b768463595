// The command-line surface of `vector` and `vector validate`, as declared with clap in src/cli.rs and
// src/validate.rs. Each option: key (result field), long, short, value (placeholder; absent = flag),
// count, multiple (repeatable and comma-delimited), parse ('uint' | 'bool'), choices, default, env,
// since/until (versions that have it), conflicts (key), action ('help' | 'version'), help.

const paths = (key, long, value, env, help, extra = {}) => ({
  key,
  long,
  value,
  env,
  help,
  multiple: true,
  ...extra,
});

const INTERPOLATION = [
  {
    key: 'dangerouslyAllowEnvVarInterpolation',
    long: 'dangerously-allow-env-var-interpolation',
    env: 'VECTOR_DANGEROUSLY_ALLOW_ENV_VAR_INTERPOLATION',
    since: '0.57.0',
    help: 'Interpolate ${VAR} environment variables in config files',
  },
  {
    key: 'disableEnvVarInterpolation',
    long: 'disable-env-var-interpolation',
    env: 'VECTOR_DISABLE_ENV_VAR_INTERPOLATION',
    since: '0.52.0',
    until: '0.57.0',
    help: 'Do not interpolate environment variables in config files',
  },
];

const FORCED_FORMAT_PATHS = [
  paths('configToml', 'config-toml', 'CONFIG_TOML', 'VECTOR_CONFIG_TOML', 'Config files in TOML format'),
  paths('configJson', 'config-json', 'CONFIG_JSON', 'VECTOR_CONFIG_JSON', 'Config files in JSON format'),
  paths('configYaml', 'config-yaml', 'CONFIG_YAML', 'VECTOR_CONFIG_YAML', 'Config files in YAML format'),
  paths('configDir', 'config-dir', 'CONFIG_DIR', 'VECTOR_CONFIG_DIR', 'Read config files from directories', {
    short: 'C',
  }),
];

const HELP = { key: 'help', long: 'help', short: 'h', action: 'help', help: 'Print help' };

/** The root command: run mode options, --help/--version, and the subcommand names. */
export const ROOT = {
  name: 'vector',
  usage: 'vector [OPTIONS] [COMMAND]',
  about: 'A lightweight and ultra-fast tool for building observability pipelines (flotilla test stand-in)',
  options: [
    paths('config', 'config', 'CONFIG', 'VECTOR_CONFIG', 'Config files; format from the extension', {
      short: 'c',
    }),
    ...FORCED_FORMAT_PATHS,
    {
      key: 'requireHealthy',
      long: 'require-healthy',
      short: 'r',
      value: 'REQUIRE_HEALTHY',
      parse: 'bool',
      env: 'VECTOR_REQUIRE_HEALTHY',
      help: 'Exit on startup if any sinks fail healthchecks',
    },
    {
      key: 'threads',
      long: 'threads',
      short: 't',
      value: 'THREADS',
      parse: 'uint',
      env: 'VECTOR_THREADS',
      help: 'Worker threads',
    },
    {
      key: 'verbose',
      long: 'verbose',
      short: 'v',
      count: true,
      help: 'More log output (-v debug, -vv trace)',
    },
    {
      key: 'quiet',
      long: 'quiet',
      short: 'q',
      count: true,
      help: 'Less log output (-q warn, -qq error, -qqq off)',
    },
    {
      key: 'logFormat',
      long: 'log-format',
      value: 'LOG_FORMAT',
      choices: ['text', 'json'],
      default: 'text',
      env: 'VECTOR_LOG_FORMAT',
      help: 'Log format',
    },
    {
      key: 'color',
      long: 'color',
      value: 'COLOR',
      choices: ['always', 'auto', 'never'],
      default: 'auto',
      env: 'VECTOR_COLOR',
      help: 'Control when ANSI terminal formatting is used',
    },
    {
      key: 'watchConfig',
      long: 'watch-config',
      short: 'w',
      env: 'VECTOR_WATCH_CONFIG',
      help: 'Reload when config files change',
    },
    {
      key: 'watchConfigMethod',
      long: 'watch-config-method',
      value: 'WATCH_CONFIG_METHOD',
      choices: ['recommended', 'poll'],
      default: 'recommended',
      env: 'VECTOR_WATCH_CONFIG_METHOD',
      help: 'Method used to watch config files',
    },
    {
      key: 'watchConfigPollIntervalSeconds',
      long: 'watch-config-poll-interval-seconds',
      value: 'WATCH_CONFIG_POLL_INTERVAL_SECONDS',
      parse: 'uint',
      default: 30,
      env: 'VECTOR_WATCH_CONFIG_POLL_INTERVAL_SECONDS',
      help: 'Poll interval of --watch-config-method poll',
    },
    {
      key: 'internalLogRateLimit',
      long: 'internal-log-rate-limit',
      short: 'i',
      value: 'INTERNAL_LOG_RATE_LIMIT',
      parse: 'uint',
      default: 10,
      env: 'VECTOR_INTERNAL_LOG_RATE_LIMIT',
      help: 'Internal log rate limit window (seconds)',
    },
    {
      key: 'gracefulShutdownLimitSecs',
      long: 'graceful-shutdown-limit-secs',
      value: 'GRACEFUL_SHUTDOWN_LIMIT_SECS',
      parse: 'uint',
      default: 60,
      env: 'VECTOR_GRACEFUL_SHUTDOWN_LIMIT_SECS',
      conflicts: 'noGracefulShutdownLimit',
      help: 'Seconds to wait for a graceful shutdown',
    },
    {
      key: 'noGracefulShutdownLimit',
      long: 'no-graceful-shutdown-limit',
      env: 'VECTOR_NO_GRACEFUL_SHUTDOWN_LIMIT',
      help: 'Never force the shutdown',
    },
    {
      key: 'allowEmptyConfig',
      long: 'allow-empty-config',
      env: 'VECTOR_ALLOW_EMPTY_CONFIG',
      help: 'Accept a config with no sources or sinks',
    },
    {
      key: 'opensslNoProbe',
      long: 'openssl-no-probe',
      env: 'VECTOR_OPENSSL_NO_PROBE',
      help: 'Skip OpenSSL probing',
    },
    {
      key: 'chunkSizeEvents',
      long: 'chunk-size-events',
      value: 'CHUNK_SIZE_EVENTS',
      parse: 'uint',
      default: 1000,
      env: 'VECTOR_CHUNK_SIZE_EVENTS',
      help: 'Events per chunk',
    },
    {
      key: 'maxDecompressedSizeBytes',
      long: 'max-decompressed-size-bytes',
      value: 'MAX_DECOMPRESSED_SIZE_BYTES',
      parse: 'uint',
      default: 104857600,
      env: 'VECTOR_MAX_DECOMPRESSED_SIZE_BYTES',
      help: 'Largest decompressed payload',
    },
    ...INTERPOLATION,
    HELP,
    { key: 'version', long: 'version', short: 'V', action: 'version', help: 'Print version' },
  ],
  subcommands: [
    'validate',
    'list',
    'test',
    'graph',
    'generate',
    'generate-schema',
    'convert-config',
    'top',
    'tap',
    'vrl',
    'help',
  ],
};

/** `vector validate`: its flags and the positional config paths (env VECTOR_CONFIG). */
export const VALIDATE = {
  name: 'vector validate',
  usage: 'vector validate [OPTIONS] [PATHS]...',
  about: 'Validate the target config, then exit',
  options: [
    {
      key: 'noEnvironment',
      long: 'no-environment',
      help: 'Skip component builds, data_dir and health checks',
    },
    { key: 'skipHealthchecks', long: 'skip-healthchecks', help: 'Skip sink health checks' },
    { key: 'denyWarnings', long: 'deny-warnings', short: 'd', help: 'Fail on warnings' },
    ...FORCED_FORMAT_PATHS,
    ...INTERPOLATION,
    HELP,
  ],
  positional: paths('paths', undefined, 'PATHS', 'VECTOR_CONFIG', 'Config files; format from the extension'),
};
