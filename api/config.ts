/**
 * Server configuration from the environment. The only module that reads `process.env`; everything
 * else receives a `ServerConfig`. Every variable is listed in the README's configuration table.
 */
import path from 'node:path';
import { z } from 'zod';
import { isShellSafeUrl } from './install-script.ts';
import { defaultMaxConnections, openFileLimit } from './open-files.ts';
import { createKeyring, keyProblem, type SecretKeyring } from './fleet/secret-crypto.ts';
import type { TrustedProxies } from './http/request-info.ts';
import { SETTING_RULES, type RetentionPolicy } from './fleet/settings-rules.ts';

/** Agent tokens are rotated this many days after issue unless FLOTILLA_TOKEN_ROTATION_DAYS says otherwise. */
export const DEFAULT_TOKEN_ROTATION_DAYS = 90;

/** An integer variable within a fleet setting's bounds (the variable gives that setting's default). */
const bounded = (rule: { min: number; max: number }) => z.coerce.number().int().min(rule.min).max(rule.max);

const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * How often buffered telemetry is written, by default. 1 s rather than 5 s: a sample then leaves
 * memory before most young-generation collections, instead of surviving (being copied) two or
 * three and being promoted. At the fleet benchmark's 50,000-agent rates the server used 52–58 % of
 * a core against 66–75 % with 5 s (2026-12-07, two runs each), with the same rows written.
 */
export const DEFAULT_TELEMETRY_FLUSH_MS = 1000;

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgresql:// URL')
    .optional(),
  FLOTILLA_DATA_DIR: z.string().min(1).default('./data'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'REDIS_URL must be a redis:// or rediss:// URL')
    .optional(),
  FLOTILLA_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/, 'letters, digits, ":", "_" and "-"')
    .default('flotilla'),
  FLOTILLA_PUBLIC_URL: z
    .url()
    .refine(
      (u) => isShellSafeUrl(u.replace(/\/+$/, '')),
      'use http(s)://host[:port][/path] with letters, digits and . _ ~ / - only',
    )
    .optional(),
  LOG_LEVEL: LogLevel.default('info'),
  FLOTILLA_ADMIN_EMAIL: z.email().optional(),
  FLOTILLA_ADMIN_PASSWORD: z
    .string()
    .min(12, 'FLOTILLA_ADMIN_PASSWORD needs at least 12 characters')
    .optional(),
  FLOTILLA_ENROL_RATE_LIMIT: z.coerce.number().int().min(1).default(120),
  FLOTILLA_TRUST_PROXY: z
    .string()
    .regex(/^(?:true|false|[0-9])$/, 'false, true (one proxy) or the number of proxies, 0 to 9')
    .default('false'),
  // 250 ms: a dashboard hears of a heartbeat within the flush plus a read and a send, under 500 ms p99
  // (README → Benchmarks); the write is one statement per flush either way.
  FLOTILLA_HEARTBEAT_FLUSH_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  FLOTILLA_SWEEP_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  FLOTILLA_ACTION_TTL_SECONDS: bounded(SETTING_RULES.actionDeadlineSeconds).default(3600),
  FLOTILLA_ALERT_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  FLOTILLA_ROLLOUT_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  FLOTILLA_TOKEN_ROTATION_DAYS: z.coerce.number().int().min(0).max(3650).default(DEFAULT_TOKEN_ROTATION_DAYS),
  FLOTILLA_METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,256}$/, '16 to 256 printable ASCII characters, no spaces')
    .optional(),
  FLOTILLA_METRICS_ADDRESS: z
    .string()
    .regex(/^[A-Za-z0-9.:[\]-]+:[0-9]{1,5}$/, 'host:port, e.g. 127.0.0.1:9464 (port 0 picks a free one)')
    .refine((a) => Number(a.slice(a.lastIndexOf(':') + 1)) <= 65535, 'the port must be 0 to 65535')
    .optional(),
  FLOTILLA_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(20_000),
  FLOTILLA_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  FLOTILLA_MAX_CONNECTIONS: z.coerce.number().int().min(1).optional(),
  FLOTILLA_LISTEN_BACKLOG: z.coerce.number().int().min(1).max(65_535).default(4096),
  FLOTILLA_RETAIN_ACTIONS_DAYS: bounded(SETTING_RULES.retainActionsDays).default(90),
  FLOTILLA_RETAIN_AUDIT_DAYS: bounded(SETTING_RULES.retainAuditDays).default(365),
  FLOTILLA_RETAIN_REVOKED_AGENTS_DAYS: bounded(SETTING_RULES.retainRevokedAgentsDays).default(30),
  FLOTILLA_RETAIN_DIAGNOSTICS_DAYS: bounded(SETTING_RULES.retainDiagnosticsDays).default(14),
  FLOTILLA_RETENTION_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(3600),
  FLOTILLA_BACKUP_DIR: z.string().min(1).optional(),
  FLOTILLA_BACKUP_INTERVAL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24),
  FLOTILLA_BACKUP_KEEP: z.coerce.number().int().min(1).max(1000).default(7),
  FLOTILLA_SECRET_KEY: z
    .string()
    .refine((k) => keyProblem(k) === null, 'FLOTILLA_SECRET_KEY must be 32 bytes as base64 or 64 hex digits')
    .optional(),
  FLOTILLA_SECRET_KEY_PREVIOUS: z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((k) => k.trim())
        .filter((k) => k !== ''),
    )
    .refine(
      (keys) => keys.every((k) => keyProblem(k) === null),
      'FLOTILLA_SECRET_KEY_PREVIOUS must list keys like FLOTILLA_SECRET_KEY, separated by commas',
    )
    .optional(),
  FLOTILLA_WS_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(10_000),
  FLOTILLA_WS_MAX_CONNECTIONS_PER_USER: z.coerce.number().int().min(1).default(20),
  FLOTILLA_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).default(50),
  FLOTILLA_TELEMETRY_FLUSH_MS: z.coerce
    .number()
    .int()
    .min(10)
    .max(60_000)
    .default(DEFAULT_TELEMETRY_FLUSH_MS),
  FLOTILLA_TELEMETRY_MINUTE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(14),
  FLOTILLA_TELEMETRY_AGENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(3),
  FLOTILLA_TELEMETRY_PRUNE_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(3600),
});

export type LogLevel = z.infer<typeof LogLevel>;

export type DatabaseConfig = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };

/** Telemetry storage (FLOTILLA_TELEMETRY_*): flush interval and how many days each history keeps. */
export interface TelemetrySettings {
  /** How often buffered telemetry is written. */
  flushMs: number;
  minuteRetentionDays: number;
  agentRetentionDays: number;
}

export type { RetentionPolicy };

export interface ServerConfig {
  port: number;
  host: string;
  database: DatabaseConfig;
  dataDir: string;
  redisUrl: string | undefined;
  /** Channel prefix on Redis, so several installations can share one Redis. */
  redisPrefix: string;
  /** Base URL agents and browsers use to reach this server (install script, upgrade URLs). */
  publicUrl: string | undefined;
  logLevel: LogLevel;
  firstAdmin: { email: string; password: string } | undefined;
  /** Enrolments allowed per client address per minute. */
  enrolRateLimitPerMinute: number;
  /**
   * Proxies in front of the server that append to X-Forwarded-For (0: none). The client address
   * is the hop the outermost trusted proxy saw; see clientAddress in http/request-info.ts.
   */
  trustProxy: TrustedProxies;
  heartbeatFlushMs: number;
  sweepIntervalMs: number;
  actionTtlMs: number;
  /** How often the replica holding the alerts lease evaluates rules and sends notifications. */
  alertIntervalMs: number;
  /** How often the replica holding the rollouts lease advances every rollout in progress. */
  rolloutIntervalMs: number;
  /** Bearer token of GET /metrics; unset: /metrics answers 404 on the main port. */
  /** Agent tokens are rotated this many days after issue; 0: only on request. */
  tokenRotationDays: number;
  /** Bearer token of GET /metrics; unset: /metrics answers 404. */
  metricsToken: string | undefined;
  /**
   * A separate listen address for /metrics only (FLOTILLA_METRICS_ADDRESS); the main port then
   * answers 404 there. The token still applies when set; without one the address is open.
   */
  metricsAddress: { host: string; port: number } | undefined;
  /** Time a client has to send its request headers, and its whole request (headers and body). */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Open connections the server accepts at once (held long-polls and WebSockets count); see open-files.ts. */
  maxConnections: number;
  /**
   * Connections the kernel queues for the main port before the server accepts them (listen(2)'s
   * backlog; the kernel caps it at net.core.somaxconn).
   */
  listenBacklog: number;
  /**
   * Keys that encrypt secret values (FLOTILLA_SECRET_KEY, with FLOTILLA_SECRET_KEY_PREVIOUS still
   * accepted for reading); undefined when no key is set, and then secrets cannot be created.
   */
  secretKeys: SecretKeyring | undefined;
  /** Caps on graphql-ws connections (per replica): see graphql/ws-connections.ts. */
  ws: WsLimits;
  retention: RetentionPolicy;
  /** How often the replica holding the `retention` lease prunes. */
  retentionIntervalMs: number;
  /** Scheduled whole-database backups (api/jobs/backups.ts); undefined: none. */
  backups: { dir: string; intervalMs: number; keep: number } | undefined;
  /** Telemetry flush interval and history retention (api/fleet/telemetry). */
  telemetry: TelemetrySettings;
  /** How often one replica creates telemetry partitions ahead and drops expired ones. */
  telemetryPruneIntervalMs: number;
}

/** Caps on the GraphQL WebSocket endpoint of one server process. */
export interface WsLimits {
  /** Open WebSocket connections in all. */
  maxConnections: number;
  /** Open WebSocket connections of one user (sessions and API tokens together). */
  maxConnectionsPerUser: number;
  /** Operations running at once on one connection. */
  maxSubscriptionsPerConnection: number;
}

/** FLOTILLA_TRUST_PROXY → proxy hops: `false` is 0, `true` is 1 (one proxy), a digit is that many. */
function trustedProxies(value: string): TrustedProxies {
  if (value === 'true') return 1;
  if (value === 'false') return 0;
  return Number(value);
}

/** `host:port` (an IPv6 host in brackets) → host and port. */
function listenAddress(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  return { host: value.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(value.slice(at + 1)) };
}

/** Thrown by loadConfig when the environment is invalid; the message names every bad variable. */
export class ConfigurationError extends Error {}

/**
 * Read and validate the environment. Call once at process start; throws ConfigurationError naming
 * every invalid variable, so the process can print it and exit non-zero.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigurationError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  if ((e.FLOTILLA_ADMIN_EMAIL === undefined) !== (e.FLOTILLA_ADMIN_PASSWORD === undefined)) {
    throw new ConfigurationError(
      'invalid configuration: set both FLOTILLA_ADMIN_EMAIL and FLOTILLA_ADMIN_PASSWORD',
    );
  }
  if (e.FLOTILLA_SECRET_KEY_PREVIOUS?.length && !e.FLOTILLA_SECRET_KEY) {
    throw new ConfigurationError(
      'invalid configuration: FLOTILLA_SECRET_KEY_PREVIOUS needs FLOTILLA_SECRET_KEY (the key to re-encrypt with)',
    );
  }
  const dataDir = path.resolve(e.FLOTILLA_DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL }
      : { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') },
    dataDir,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.FLOTILLA_REDIS_PREFIX,
    publicUrl: e.FLOTILLA_PUBLIC_URL?.replace(/\/+$/, ''),
    logLevel: e.LOG_LEVEL,
    firstAdmin:
      e.FLOTILLA_ADMIN_EMAIL && e.FLOTILLA_ADMIN_PASSWORD
        ? { email: e.FLOTILLA_ADMIN_EMAIL, password: e.FLOTILLA_ADMIN_PASSWORD }
        : undefined,
    enrolRateLimitPerMinute: e.FLOTILLA_ENROL_RATE_LIMIT,
    trustProxy: trustedProxies(e.FLOTILLA_TRUST_PROXY),
    heartbeatFlushMs: e.FLOTILLA_HEARTBEAT_FLUSH_MS,
    sweepIntervalMs: e.FLOTILLA_SWEEP_INTERVAL_SECONDS * 1000,
    actionTtlMs: e.FLOTILLA_ACTION_TTL_SECONDS * 1000,
    alertIntervalMs: e.FLOTILLA_ALERT_INTERVAL_SECONDS * 1000,
    rolloutIntervalMs: e.FLOTILLA_ROLLOUT_INTERVAL_MS,
    tokenRotationDays: e.FLOTILLA_TOKEN_ROTATION_DAYS,
    metricsToken: e.FLOTILLA_METRICS_TOKEN,
    metricsAddress: e.FLOTILLA_METRICS_ADDRESS ? listenAddress(e.FLOTILLA_METRICS_ADDRESS) : undefined,
    headersTimeoutMs: e.FLOTILLA_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: Math.max(e.FLOTILLA_REQUEST_TIMEOUT_MS, e.FLOTILLA_HEADERS_TIMEOUT_MS),
    maxConnections: e.FLOTILLA_MAX_CONNECTIONS ?? defaultMaxConnections(openFileLimit()),
    listenBacklog: e.FLOTILLA_LISTEN_BACKLOG,
    secretKeys: e.FLOTILLA_SECRET_KEY
      ? createKeyring(e.FLOTILLA_SECRET_KEY, e.FLOTILLA_SECRET_KEY_PREVIOUS)
      : undefined,
    ws: {
      maxConnections: e.FLOTILLA_WS_MAX_CONNECTIONS,
      maxConnectionsPerUser: e.FLOTILLA_WS_MAX_CONNECTIONS_PER_USER,
      maxSubscriptionsPerConnection: e.FLOTILLA_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    },
    retention: {
      actionsDays: e.FLOTILLA_RETAIN_ACTIONS_DAYS,
      auditDays: e.FLOTILLA_RETAIN_AUDIT_DAYS,
      revokedAgentsDays: e.FLOTILLA_RETAIN_REVOKED_AGENTS_DAYS,
      diagnosticsDays: e.FLOTILLA_RETAIN_DIAGNOSTICS_DAYS,
    },
    retentionIntervalMs: e.FLOTILLA_RETENTION_INTERVAL_SECONDS * 1000,
    backups: e.FLOTILLA_BACKUP_DIR
      ? {
          dir: path.resolve(e.FLOTILLA_BACKUP_DIR),
          intervalMs: e.FLOTILLA_BACKUP_INTERVAL_HOURS * 3_600_000,
          keep: e.FLOTILLA_BACKUP_KEEP,
        }
      : undefined,
    telemetry: {
      flushMs: e.FLOTILLA_TELEMETRY_FLUSH_MS,
      minuteRetentionDays: e.FLOTILLA_TELEMETRY_MINUTE_RETENTION_DAYS,
      agentRetentionDays: e.FLOTILLA_TELEMETRY_AGENT_RETENTION_DAYS,
    },
    telemetryPruneIntervalMs: e.FLOTILLA_TELEMETRY_PRUNE_INTERVAL_SECONDS * 1000,
  };
}
