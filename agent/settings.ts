/**
 * AgentSettings: every path of protocol.md "Agent on disk" and every interval, each overridable by
 * a flag (`--state-dir /tmp/x`, parsed by node:util parseArgs) or the environment
 * (`FLOTILLA_AGENT_STATE_DIR=/tmp/x`); a flag wins. Pure: reads only the argv and env it is given.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
  DEFAULT_POLL_INTERVAL_SECONDS,
  LONG_POLL_MAX_SECONDS,
  Platform,
  TOKEN_PREFIX,
} from '../api/protocol/v1.ts';
import { parseDuration } from '../api/protocol/duration.ts';
import { parseLogLevel, type LogLevel } from './log.ts';
import { DEFAULT_BACKOFF, DEFAULT_LONG_POLL_SECONDS } from './policy.ts';

const EBT = TOKEN_PREFIX.bootstrap;
/** Default port of the agent's Vector metrics exporter (next to the prometheus_exporter default 9598). */
export const DEFAULT_METRICS_PORT = 9599;

export const COMMANDS = ['enrol', 'run', 'status', 'version', 'upgrade-watch'] as const;
export type Command = (typeof COMMANDS)[number];
export type ServiceManager = 'systemd' | 'none';

export interface AgentSettings {
  configDir: string;
  stateDir: string;
  logDir: string;
  installDir: string;
  vectorBin: string;
  vectorDataDir: string;
  platform: Platform;
  hostname: string | undefined;
  apiUrl: string | undefined;
  token: string | undefined;
  group: string | undefined;
  pollIntervalMs: number;
  heartbeatIntervalMs: number;
  longPollSeconds: number;
  requestTimeoutMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  vectorStopGraceMs: number;
  vectorRestartInitialMs: number;
  vectorRestartMaxMs: number;
  reloadCheckMs: number;
  upgradeTimeoutMs: number;
  vectorLogMaxBytes: number;
  vectorLogFiles: number;
  metricsPort: number;
  serviceManager: ServiceManager;
  logLevel: LogLevel;
  json: boolean;
}

type Kind = 'path' | 'string' | 'duration' | 'int' | 'bool';
interface OptionSpec {
  key: keyof AgentSettings;
  kind: Kind;
  help: string;
}

/** Flag name → setting. The environment variable is FLOTILLA_AGENT_<FLAG_IN_UPPER_SNAKE>. */
const OPTIONS: Record<string, OptionSpec> = {
  'config-dir': { key: 'configDir', kind: 'path', help: 'token and identity (default /etc/flotilla-agent)' },
  'state-dir': {
    key: 'stateDir',
    kind: 'path',
    help: 'applied config and state (default /var/lib/flotilla-agent)',
  },
  'log-dir': {
    key: 'logDir',
    kind: 'path',
    help: 'Vector output and upgrade logs (default /var/log/flotilla-agent)',
  },
  'install-dir': {
    key: 'installDir',
    kind: 'path',
    help: 'versioned agent installs (default /opt/flotilla-agent)',
  },
  'vector-bin': { key: 'vectorBin', kind: 'string', help: 'the vector executable (default: vector on PATH)' },
  'vector-data-dir': {
    key: 'vectorDataDir',
    kind: 'path',
    help: 'Vector data_dir (default <state-dir>/vector)',
  },
  platform: { key: 'platform', kind: 'string', help: 'linux or kubernetes (default: detected)' },
  hostname: { key: 'hostname', kind: 'string', help: 'hostname reported at enrolment' },
  'api-url': { key: 'apiUrl', kind: 'string', help: 'server URL, e.g. https://flotilla.example.com' },
  token: { key: 'token', kind: 'string', help: `bootstrap token ${EBT}…` },
  group: { key: 'group', kind: 'string', help: 'group slug to enrol into instead of the token’s own' },
  'poll-interval': { key: 'pollIntervalMs', kind: 'duration', help: 'config poll interval (10s)' },
  'heartbeat-interval': { key: 'heartbeatIntervalMs', kind: 'duration', help: 'heartbeat interval (30s)' },
  'long-poll': {
    key: 'longPollSeconds',
    kind: 'int',
    help: `long-poll seconds when the server offers it; 0 = off (${DEFAULT_LONG_POLL_SECONDS})`,
  },
  'request-timeout': { key: 'requestTimeoutMs', kind: 'duration', help: 'per-request timeout (15s)' },
  'backoff-initial': { key: 'backoffInitialMs', kind: 'duration', help: 'first retry delay (1s)' },
  'backoff-max': { key: 'backoffMaxMs', kind: 'duration', help: 'retry delay cap (60s)' },
  'vector-stop-grace': { key: 'vectorStopGraceMs', kind: 'duration', help: 'SIGTERM → SIGKILL grace (30s)' },
  'vector-restart-initial': {
    key: 'vectorRestartInitialMs',
    kind: 'duration',
    help: 'first restart delay (1s)',
  },
  'vector-restart-max': { key: 'vectorRestartMaxMs', kind: 'duration', help: 'restart delay cap (60s)' },
  'reload-check': {
    key: 'reloadCheckMs',
    kind: 'duration',
    help: 'Vector must survive this long after a reload (3s)',
  },
  'upgrade-timeout': {
    key: 'upgradeTimeoutMs',
    kind: 'duration',
    help: 'new version must heartbeat within (120s)',
  },
  'vector-log-max-bytes': {
    key: 'vectorLogMaxBytes',
    kind: 'int',
    help: 'rotate vector.log at this size (10 MiB)',
  },
  'vector-log-files': { key: 'vectorLogFiles', kind: 'int', help: 'rotated vector logs to keep (5)' },
  'metrics-port': {
    key: 'metricsPort',
    kind: 'int',
    help: `Vector metrics exporter port on 127.0.0.1, scraped for telemetry; 0 = off (${DEFAULT_METRICS_PORT})`,
  },
  'service-manager': { key: 'serviceManager', kind: 'string', help: 'systemd or none (default: detected)' },
  'log-level': { key: 'logLevel', kind: 'string', help: 'debug, info, warn or error (info)' },
  json: { key: 'json', kind: 'bool', help: 'status: print JSON' },
};

/** Thrown for bad command lines; main.ts prints the message and the usage, and exits 2. */
export class UsageError extends Error {}

export interface CommandLine {
  command: Command;
  settings: AgentSettings;
}

/** The usage text printed by `help` and after a UsageError. */
export function usage(): string {
  const lines = Object.entries(OPTIONS).map(([flag, spec]) => `  --${flag.padEnd(24)} ${spec.help}`);
  return [
    'usage: flotilla-agent <command> [options]',
    '',
    'commands:',
    `  enrol --api-url URL --token ${EBT}… [--group slug]   register this host, store the agent token`,
    '  run                                               poll config, heartbeat, supervise Vector',
    '  status [--json]                                   show enrolment, config version, Vector state',
    '  version                                           print the agent version',
    '',
    'options (or environment FLOTILLA_AGENT_<OPTION>, e.g. FLOTILLA_AGENT_STATE_DIR):',
    ...lines,
  ].join('\n');
}

/** Environment variable name of a flag. */
export function envName(flag: string): string {
  return `FLOTILLA_AGENT_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * Parses `argv` (without node and script) and `env` into a command and settings.
 * Throws UsageError naming the offending flag, variable or value; never reads the filesystem.
 */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): CommandLine {
  const [command, ...rest] = argv;
  if (!command || !(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(command ? `unknown command "${command}"` : 'missing command');
  }
  const raw = new Map<string, { value: string; source: string }>();
  for (const flag of Object.keys(OPTIONS)) {
    const fromEnv = env[envName(flag)];
    if (fromEnv !== undefined && fromEnv !== '') raw.set(flag, { value: fromEnv, source: envName(flag) });
  }
  for (const { flag, value } of flagValues(rest)) raw.set(flag, { value, source: `--${flag}` });
  const settings = defaults(env);
  for (const [flag, { value, source }] of raw) {
    const spec = OPTIONS[flag];
    (settings as unknown as Record<string, unknown>)[spec.key] = convert(spec, value, source);
  }
  if (!raw.has('vector-data-dir')) settings.vectorDataDir = path.join(settings.stateDir, 'vector');
  checkSettings(settings, command as Command);
  return { command: command as Command, settings };
}

/** The flags of `args` in order, as raw strings (a bare boolean flag is "true"); throws UsageError. */
function flagValues(args: readonly string[]): { flag: string; value: string }[] {
  const { tokens } = parseArgs({
    args: [...args],
    options: Object.fromEntries(
      Object.entries(OPTIONS).map(([flag, spec]) => [
        flag,
        { type: spec.kind === 'bool' ? 'boolean' : 'string' },
      ]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  return tokens.map((token) => {
    if (token.kind === 'positional') throw new UsageError(`unexpected argument "${token.value}"`);
    if (token.kind === 'option-terminator') throw new UsageError('unexpected argument "--"');
    const spec = OPTIONS[token.name] as OptionSpec | undefined;
    if (!spec || !token.rawName.startsWith('--')) throw new UsageError(`unknown option ${token.rawName}`);
    if (spec.kind === 'bool') return { flag: token.name, value: token.value ?? 'true' };
    if (token.value === undefined) throw new UsageError(`option --${token.name} needs a value`);
    return { flag: token.name, value: token.value };
  });
}

function defaults(env: NodeJS.ProcessEnv): AgentSettings {
  return {
    configDir: '/etc/flotilla-agent',
    stateDir: '/var/lib/flotilla-agent',
    logDir: '/var/log/flotilla-agent',
    installDir: '/opt/flotilla-agent',
    vectorBin: 'vector',
    vectorDataDir: '/var/lib/flotilla-agent/vector',
    platform: env.KUBERNETES_SERVICE_HOST ? 'kubernetes' : 'linux',
    hostname: undefined,
    apiUrl: undefined,
    token: undefined,
    group: undefined,
    pollIntervalMs: DEFAULT_POLL_INTERVAL_SECONDS * 1000,
    heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_SECONDS * 1000,
    longPollSeconds: DEFAULT_LONG_POLL_SECONDS,
    requestTimeoutMs: 15_000,
    backoffInitialMs: DEFAULT_BACKOFF.initialMs,
    backoffMaxMs: DEFAULT_BACKOFF.maxMs,
    vectorStopGraceMs: 30_000,
    vectorRestartInitialMs: 1_000,
    vectorRestartMaxMs: 60_000,
    reloadCheckMs: 3_000,
    upgradeTimeoutMs: 120_000,
    vectorLogMaxBytes: 10 * 1024 * 1024,
    vectorLogFiles: 5,
    metricsPort: DEFAULT_METRICS_PORT,
    serviceManager: env.INVOCATION_ID ? 'systemd' : 'none',
    logLevel: 'info',
    json: false,
  };
}

function convert(spec: OptionSpec, value: string, source: string): unknown {
  switch (spec.kind) {
    case 'path':
      if (value.trim() === '') throw new UsageError(`${source} must not be empty`);
      return path.resolve(value);
    case 'duration': {
      const ms = parseDuration(value);
      if (ms === undefined)
        throw new UsageError(`${source}: "${value}" is not a duration (e.g. 500ms, 10s, 2m)`);
      return ms;
    }
    case 'int':
      if (!/^\d+$/.test(value)) throw new UsageError(`${source}: "${value}" is not a non-negative integer`);
      return Number(value);
    case 'bool':
      if (value !== 'true' && value !== 'false') throw new UsageError(`${source}: use true or false`);
      return value === 'true';
    case 'string':
      return value;
  }
}

function checkSettings(s: AgentSettings, command: Command): void {
  if (!Platform.safeParse(s.platform).success) {
    throw new UsageError(`--platform: "${s.platform}" is not linux or kubernetes`);
  }
  if (s.serviceManager !== 'systemd' && s.serviceManager !== 'none') {
    throw new UsageError(`--service-manager: "${String(s.serviceManager)}" is not systemd or none`);
  }
  try {
    s.logLevel = parseLogLevel(s.logLevel);
  } catch (error) {
    throw new UsageError(`--log-level: ${(error as Error).message}`);
  }
  if (s.apiUrl !== undefined) s.apiUrl = checkUrl(s.apiUrl);
  if (s.token !== undefined && !s.token.startsWith(EBT)) {
    throw new UsageError(`--token must be a bootstrap token (it starts with ${EBT})`);
  }
  if (command === 'enrol') {
    if (!s.apiUrl) throw new UsageError(`enrol needs --api-url (or ${envName('api-url')})`);
    if (!s.token) throw new UsageError(`enrol needs --token ${EBT}… (or ${envName('token')})`);
  }
  if (s.pollIntervalMs < 10 || s.heartbeatIntervalMs < 10) {
    throw new UsageError('--poll-interval and --heartbeat-interval must be at least 10ms');
  }
  if (s.metricsPort > 65_535) throw new UsageError('--metrics-port must be between 0 and 65535');
  if (s.longPollSeconds > LONG_POLL_MAX_SECONDS) {
    throw new UsageError(`--long-poll must be between 0 and ${LONG_POLL_MAX_SECONDS} seconds`);
  }
}

function checkUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--api-url: "${value}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--api-url: "${value}" must be http:// or https://`);
  }
  return url.toString().replace(/\/+$/, '');
}
