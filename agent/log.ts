/**
 * Structured logging for the agent: one JSON object per line (`time`, `level`, `msg`, fields).
 * The sink is injected (stdout in production, an array in tests), so there is no global logger.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  write: (line: string) => void;
  level?: LogLevel;
  now?: () => number;
  fields?: LogFields;
}

/** Parses a level name; call on untrusted input (flags, env). Throws with a readable message if unknown. */
export function parseLogLevel(value: string): LogLevel {
  if (value in RANK) return value as LogLevel;
  throw new Error(`unknown log level "${value}" (use debug, info, warn or error)`);
}

/**
 * Creates a JSON-lines logger. Safe to call at any time; a field that cannot be serialised
 * (a cycle, a BigInt) is replaced by its String() form instead of throwing.
 */
export function createLogger(options: LoggerOptions): Logger {
  const min = RANK[options.level ?? 'info'];
  const now = options.now ?? Date.now;
  const base = options.fields ?? {};
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[level] < min) return;
    const record: LogFields = { time: new Date(now()).toISOString(), level, msg, ...base, ...fields };
    options.write(`${safeStringify(record)}\n`);
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/** Turns any thrown value into a one-line message for logs and reports. Never throws. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function safeStringify(record: LogFields): string {
  try {
    return JSON.stringify(record, (_key, value: unknown) => {
      if (value instanceof Error) return { message: value.message, name: value.name };
      if (typeof value === 'bigint') return value.toString();
      return value;
    });
  } catch {
    return JSON.stringify(Object.fromEntries(Object.entries(record).map(([k, v]) => [k, String(v)])));
  }
}
