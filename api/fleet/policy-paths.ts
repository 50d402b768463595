/**
 * The path half of the component policy (policy.ts): which options of which component types name a
 * local path, whether Vector reads or writes it, and the pure check of one path against a group's
 * prefixes. A path is checked as text: it must be absolute, may not contain `.` or `..` segments,
 * and is compared segment by segment (`/etc` covers `/etc/x`, not `/etcetera`). Symlinks on the
 * host are not visible here; the agent's file permissions (see agent/deploy) are the backstop.
 */
import { getOption } from './vector/conditions.ts';

export type PathAccess = 'read' | 'write' | 'run';

/** One option that names a local path. `run` options start a program (allowed only with exec). */
export interface PathOption {
  kind: 'source' | 'sink';
  type: string;
  option: string;
  access: PathAccess;
}

/**
 * Every path option the policy checks, from the catalogue (api/fleet/vector/catalogue.json). Left
 * out on purpose: `tls.*_file` (read only as TLS material, never forwarded as events),
 * `kubernetes_logs.*_paths_glob_patterns` (relative to /var/log/pods) and `exec.working_directory`
 * (exec already needs an admin's consent, and then can do anything).
 */
export const PATH_OPTIONS: readonly PathOption[] = [
  { kind: 'source', type: 'file', option: 'include', access: 'read' },
  { kind: 'source', type: 'file', option: 'data_dir', access: 'write' },
  { kind: 'source', type: 'journald', option: 'journal_directory', access: 'read' },
  { kind: 'source', type: 'journald', option: 'data_dir', access: 'write' },
  { kind: 'source', type: 'journald', option: 'journalctl_path', access: 'run' },
  { kind: 'source', type: 'kubernetes_logs', option: 'data_dir', access: 'write' },
  { kind: 'source', type: 'kubernetes_logs', option: 'kube_config_file', access: 'read' },
  // A unix-socket listener creates its socket file at `path`.
  { kind: 'source', type: 'socket', option: 'path', access: 'write' },
  { kind: 'source', type: 'syslog', option: 'path', access: 'write' },
  { kind: 'source', type: 'fluent', option: 'path', access: 'write' },
  { kind: 'sink', type: 'file', option: 'base_dir', access: 'write' },
  { kind: 'sink', type: 'file', option: 'path', access: 'write' },
];

/** The agent's identity (agent-token, agent.env), state and code: never read or written, whatever the policy. */
export const ALWAYS_DENIED_PREFIXES: readonly string[] = [
  '/etc/flotilla-agent',
  '/var/lib/flotilla-agent',
  '/opt/flotilla-agent',
];

/** Refused for writes while a group names no write prefixes: system configuration and binaries. */
export const DEFAULT_WRITE_DENIED_PREFIXES: readonly string[] = [
  '/etc',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib64',
  '/boot',
  '/root',
  '/proc',
  '/sys',
  '/dev',
  '/var/spool/cron',
];

/** Refused for reads while a group names no read prefixes: password hashes, root's home, process memory. */
export const DEFAULT_READ_DENIED_PREFIXES: readonly string[] = [
  '/etc/shadow',
  '/etc/gshadow',
  '/root',
  '/proc',
];

/** Where a glob (`*`, `?`, `[`, `{`) starts; the directory before it is what the policy can judge. */
const GLOB = /[*?[{]/;

/** The segments of an absolute path, or an error message. `.`/`..` segments are refused. */
function segments(path: string): string[] | string {
  if (!path.startsWith('/')) return 'must be an absolute path';
  if (path.includes('\0')) return 'must not contain NUL';
  const parts = path.split('/').filter((s) => s !== '');
  if (parts.some((s) => s === '..' || s === '.')) return 'must not contain "." or ".." segments';
  return parts;
}

const under = (path: string[], prefix: string[]) => prefix.every((segment, i) => path[i] === segment);

/** Split stored prefixes once per check. */
function parsePrefixes(prefixes: readonly string[]): string[][] {
  return prefixes.map((p) => segments(p)).filter((s): s is string[] => Array.isArray(s));
}

/**
 * Check one path an option names. `allowed` are the group's prefixes for this access (empty: any
 * path outside `denied`). A glob is judged by the directory before its first wildcard, and also
 * refused when a denied directory lies below that directory (the glob could reach into it).
 * Returns the problem in words, or null when the path is allowed. Never throws.
 */
export function pathProblem(
  path: string,
  access: 'read' | 'write',
  allowed: readonly string[],
): string | null {
  if (access === 'write' && path.includes('{{')) {
    return 'must not use {{ field }} templates: event data could steer the path; use strftime (%Y-%m-%d) instead';
  }
  const glob = path.search(GLOB);
  const literal = glob === -1 ? path : path.slice(0, path.lastIndexOf('/', glob) + 1);
  const parts = segments(path);
  if (typeof parts === 'string') return parts;
  const base = segments(literal === '' ? '/' : literal) as string[];
  const isGlob = glob !== -1;
  const defaults = access === 'write' ? DEFAULT_WRITE_DENIED_PREFIXES : DEFAULT_READ_DENIED_PREFIXES;
  const denied = [...ALWAYS_DENIED_PREFIXES, ...(allowed.length === 0 ? defaults : [])];
  for (const [i, prefix] of parsePrefixes(denied).entries()) {
    if (under(base, prefix)) return `may not ${access === 'read' ? 'read' : 'write to'} ${denied[i]}`;
    if (isGlob && under(prefix, base)) return `is a pattern that could reach into ${denied[i]}`;
  }
  if (allowed.length > 0 && !parsePrefixes(allowed).some((prefix) => under(base, prefix))) {
    return `must be under one of the group's ${access} prefixes: ${allowed.join(', ')}`;
  }
  return null;
}

/**
 * Check a prefix an admin wants to allow: absolute, no wildcards, no `.`/`..`, not inside the
 * agent's own directories (a prefix above them is fine: those stay denied below any prefix).
 * Returns the problem in words or null.
 */
export function prefixProblem(prefix: string): string | null {
  if (GLOB.test(prefix)) return 'must not contain wildcards';
  const parts = segments(prefix);
  if (typeof parts === 'string') return parts;
  if (parsePrefixes(ALWAYS_DENIED_PREFIXES).some((d) => under(parts, d))) {
    return `must not lie inside the agent's own directories (${ALWAYS_DENIED_PREFIXES.join(', ')})`;
  }
  return null;
}

/** The string values an option holds (a string, or the strings of an array), with their field paths. */
export function pathValues(options: Record<string, unknown>, option: string): [string, string][] {
  const value = getOption(options, option);
  if (typeof value === 'string') return [[`options.${option}`, value]];
  if (Array.isArray(value)) {
    return value.flatMap((v, i): [string, string][] =>
      typeof v === 'string' ? [[`options.${option}[${i}]`, v]] : [],
    );
  }
  return [];
}
