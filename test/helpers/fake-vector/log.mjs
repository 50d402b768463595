// Vector's own log lines, always on stderr: tracing's text layout
// `<timestamp> <LEVEL> <target>: <message> key=value ...` or one JSON object per line.
import { io } from './io.mjs';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];

/** Marks a field value for Display formatting (printed unquoted), like tracing's `%value`. */
export function display(value) {
  return { display: String(value) };
}

/**
 * Creates a logger honouring `-v`/`-q` counts, VECTOR_LOG (a plain level name or `off`) and
 * `--log-format`. Each level method takes `(target, message, fields)`; string fields print quoted.
 */
export function createLogger({ verbose = 0, quiet = 0, logFormat = 'text' } = {}, env = io().env) {
  const threshold = thresholdFor(env.VECTOR_LOG?.trim().toLowerCase(), verbose, quiet);
  const write = (level, target, message, fields = {}) => {
    if (LEVELS.indexOf(level) < threshold) return;
    const timestamp = new Date().toISOString().replace('Z', '000Z');
    const line =
      logFormat === 'json'
        ? JSON.stringify({ timestamp, level: level.toUpperCase(), message, target, ...jsonFields(fields) })
        : `${timestamp} ${level.toUpperCase().padStart(5)} ${target}: ${message}${textFields(fields)}`;
    io().stderr.write(`${line}\n`);
  };
  return Object.fromEntries(LEVELS.map((level) => [level, (...args) => write(level, ...args)]));
}

function thresholdFor(fromEnv, verbose, quiet) {
  if (fromEnv === 'off') return LEVELS.length;
  if (LEVELS.includes(fromEnv)) return LEVELS.indexOf(fromEnv);
  if (verbose) return Math.max(0, 2 - verbose);
  return 2 + quiet;
}

function debugValue(value) {
  if (value && typeof value === 'object' && 'display' in value) return value.display;
  if (Array.isArray(value)) return `[${value.map(debugValue).join(', ')}]`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function textFields(fields) {
  return Object.entries(fields)
    .map(([key, value]) => ` ${key}=${debugValue(value)}`)
    .join('');
}

function jsonFields(fields) {
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [
      key,
      value?.display ?? (Array.isArray(value) ? debugValue(value) : value),
    ]),
  );
}
