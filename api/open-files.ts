/**
 * The connection cap's default, from the open-file limit. Every accepted connection is an open
 * file, and so is every database and Redis socket, a backup being written, a dashboard file being
 * served. Once connections use up the limit, accept() fails (and libuv closes what waits) and so
 * does every new database connection: an operator's mutation fails because agents hold every file.
 * So unless FLOTILLA_MAX_CONNECTIONS says otherwise, the server accepts connections only up to a
 * margin under the limit (Node raises its soft limit to the hard one at start).
 */
import { readFileSync } from 'node:fs';

/** The connection cap when the open-file limit is not known (or far above it). */
export const DEFAULT_MAX_CONNECTIONS = 120_000;
/** Open files kept for everything but accepted connections, at most (a tenth of a small limit). */
export const FILES_KEPT_FOR_THE_SERVER = 1000;

/** The soft open-file limit in `limitsText` (/proc/self/limits); null when unknown or unlimited. */
export function openFileLimit(limitsText: string | null = readOwnLimits()): number | null {
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(limitsText ?? '');
  return match && match[1] !== 'unlimited' ? Number(match[1]) : null;
}

/** DEFAULT_MAX_CONNECTIONS, or fewer: FILES_KEPT_FOR_THE_SERVER (or a tenth) under `limit`. */
export function defaultMaxConnections(limit: number | null): number {
  if (limit === null) return DEFAULT_MAX_CONNECTIONS;
  const kept = Math.min(FILES_KEPT_FOR_THE_SERVER, Math.ceil(limit / 10));
  return Math.max(1, Math.min(DEFAULT_MAX_CONNECTIONS, limit - kept));
}

function readOwnLimits(): string | null {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return null; // not Linux: no limit known
  }
}
