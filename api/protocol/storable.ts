/**
 * Bounds every request field to what the database stores, written once and used by every protocol
 * schema: text without NUL or unpaired surrogates (PostgreSQL rejects both), integers in the int32
 * range of an `integer` column, durations that keep a timestamp in range, and JSON objects of
 * bounded depth and size (jsonb rejects deep nesting, and every row must fit one flush). A leaf of
 * the protocol (zod only), like ./v1.ts.
 */
import * as z from 'zod';

/** Largest value a PostgreSQL `integer` column holds. */
export const INT32_MAX = 2_147_483_647;
/** Longest uptime an agent may report (10 years): the start time it implies stays a sane timestamp. */
export const MAX_UPTIME_SECONDS = 10 * 365 * 24 * 3600;
/** Deepest nesting of a JSON object in a request (action results, action payloads). */
export const MAX_JSON_DEPTH = 16;
/** Largest JSON object in a request, in bytes of its JSON text. */
export const MAX_JSON_BYTES = 16 * 1024;

const UNSTORABLE_TEXT = /[\u0000\p{Cs}]/u;
/** Why a string that isStorableText refuses is refused. */
export const UNSTORABLE_MESSAGE = 'must not contain NUL characters or unpaired surrogates';

/** True when PostgreSQL can store `s` as text: no NUL character and no unpaired surrogate. */
export function isStorableText(s: string): boolean {
  return !UNSTORABLE_TEXT.test(s);
}

/**
 * `s` made storable for a field of at most `max` characters: NUL and unpaired surrogates become
 * U+FFFD, and the cut never splits a surrogate pair. Agents pass text they did not write (Vector's
 * output, error messages) through this before sending it.
 */
export function toStorableText(s: string, max: number): string {
  const clean = s.replace(/[\u0000\p{Cs}]/gu, '\uFFFD');
  if (clean.length <= max) return clean;
  const end = /[\uD800-\uDBFF]/.test(clean[max - 1] ?? '') ? max - 1 : max;
  return clean.slice(0, end);
}

/** A string of at most `max` characters (at least `min`, trimmed when asked) that the database can store. */
export function boundedText(max: number, options: { min?: number; trim?: boolean } = {}) {
  const base = options.trim ? z.string().trim() : z.string();
  return base
    .min(options.min ?? 0)
    .max(max)
    .refine(isStorableText, UNSTORABLE_MESSAGE);
}

/** An integer that fits a PostgreSQL `integer` column, at least `min` (default 0). */
export function int32(min = 0) {
  return z.number().int().min(min).max(INT32_MAX);
}

/**
 * Why `value` cannot be stored as a JSON blob (too deep, larger than `maxBytes` of JSON text
 * (default MAX_JSON_BYTES; null: no size bound), a key or string the database rejects), or null
 * when it can. Stops at the first problem, so hostile input costs little.
 */
export function jsonBlobProblem(
  value: unknown,
  { maxBytes = MAX_JSON_BYTES }: { maxBytes?: number | null } = {},
): string | null {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (!isStorableText(v)) return `strings ${UNSTORABLE_MESSAGE}`;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) return `must not nest deeper than ${MAX_JSON_DEPTH} levels`;
    for (const [key, child] of Object.entries(v)) {
      if (!isStorableText(key)) return `keys ${UNSTORABLE_MESSAGE}`;
      stack.push({ value: child, depth: depth + 1 });
    }
  }
  if (maxBytes === null) return null;
  const bytes = new TextEncoder().encode(JSON.stringify(value)).length;
  return bytes > maxBytes ? `must be at most ${maxBytes} bytes of JSON` : null;
}

/** A JSON object the database can store: bounded depth and size, storable keys and strings. */
export function jsonObject() {
  return z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    const problem = jsonBlobProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** Longest agent or Vector version string. */
export const MAX_VERSION_LENGTH = 64;

/** An agent or Vector version as an agent reports it: 1..MAX_VERSION_LENGTH characters, trimmed. */
export function versionText() {
  return boundedText(MAX_VERSION_LENGTH, { min: 1, trim: true });
}

/** A lowercase hex SHA-256 (64 digits). */
export const SHA256_HEX = /^[0-9a-f]{64}$/;
export const sha256Hex = () => z.string().regex(SHA256_HEX, 'must be 64 lowercase hex digits');
