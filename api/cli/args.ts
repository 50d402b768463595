/**
 * Argument helpers for the admin CLI: typed flags with clear errors, durations like `24h`, and
 * secrets read from standard input (never from argv, where `ps` would show them).
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../protocol/duration.ts';

/** A usage mistake: printed as is, exit code 2. */
export class UsageError extends Error {}

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; required?: boolean }>;

/**
 * Parse `argv` against `spec`. Throws UsageError naming the unknown or missing flag.
 */
export function flags(
  argv: string[],
  spec: FlagSpec,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(spec).map(([name, s]) => [name, { type: s.type }])),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  for (const [name, s] of Object.entries(spec)) {
    if (s.required && parsed.values[name] === undefined) throw new UsageError(`--${name} is required`);
  }
  return {
    values: parsed.values as Record<string, string | boolean | undefined>,
    positionals: parsed.positionals,
  };
}

/** A whole number from a flag; throws UsageError otherwise. */
export function integer(name: string, value: string | boolean | undefined): number {
  if (typeof value !== 'string' || !/^\d+$/.test(value))
    throw new UsageError(`--${name} takes a whole number`);
  return Number(value);
}

/** Whole seconds from `90`, `30m`, `24h` or `7d` (protocol/duration.ts); throws UsageError otherwise. */
export function durationSeconds(name: string, value: string | boolean | undefined): number {
  const ms = typeof value === 'string' ? parseDuration(value) : undefined;
  if (ms === undefined || ms % 1000 !== 0) {
    throw new UsageError(`--${name} takes a duration such as 3600, 30m, 24h or 7d`);
  }
  return ms / 1000;
}

/** Standard input as the CLI reads it (process.stdin, or a stream a test hands in). */
export type CliInput = AsyncIterable<Buffer | string> & { isTTY?: boolean };

/** Read all of `stdin` as one secret line (trailing newline removed); a terminal is refused. */
export async function readSecret(stdin: CliInput): Promise<string> {
  if (stdin.isTTY) throw new UsageError('pipe the password on standard input, e.g. `echo "$PW" | …`');
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
