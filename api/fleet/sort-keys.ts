/**
 * Sort keys stored beside the values they order, so PostgreSQL and PGlite sort and compare the
 * same way without collation tricks. Fleet writes them wherever the source columns are written
 * (enrol: agents.ts; heartbeat flush: heartbeats.ts); the migration that added them backfills
 * existing rows with SQL that test/fleet/agent-query.test.ts proves equal to these functions.
 *
 *  - naturalKey: lower-cased, every run of up to NATURAL_DIGITS digits left-padded with zeros, so
 *    `web-2` sorts before `web-10` (longer runs are kept as they are).
 *  - versionKey: for a version starting `[v]major[.minor[.patch]][-prerelease]` (then the end,
 *    `+build` or whitespace), major/minor/patch padded to VERSION_DIGITS digits, then `0` plus the
 *    natural key of the prerelease, or `1` for a release (1.0.0-rc.1 < 1.0.0); null otherwise.
 */

/** Digit runs up to this long are zero-padded in natural keys. */
export const NATURAL_DIGITS = 10;
/** Version numbers up to this many digits are comparable. */
export const VERSION_DIGITS = 10;

/** The natural sort key of `text` (hostnames, prerelease tags). Pure; never throws. */
export function naturalKey(text: string): string {
  return text
    .toLowerCase()
    .replace(/[0-9]+/g, (digits) =>
      digits.length > NATURAL_DIGITS ? digits : digits.padStart(NATURAL_DIGITS, '0'),
    );
}

const NUMBER = `([0-9]{1,${VERSION_DIGITS}})`;
const VERSION = new RegExp(
  `^v?${NUMBER}(?:\\.${NUMBER})?(?:\\.${NUMBER})?(?:-([0-9A-Za-z.-]+))?(?:$|[+\\s])`,
);

/** Keys of the versions seen lately: a fleet runs a handful, and every heartbeat asks for two. */
const versionKeys = new Map<string, string | null>();
const MAX_REMEMBERED_VERSIONS = 1_000;

/** The comparison key of a semantic version, or null when `version` does not start with one. */
export function versionKey(version: string): string | null {
  let key = versionKeys.get(version);
  if (key !== undefined) return key;
  key = computeVersionKey(version);
  if (versionKeys.size >= MAX_REMEMBERED_VERSIONS) versionKeys.clear();
  versionKeys.set(version, key);
  return key;
}

function computeVersionKey(version: string): string | null {
  const m = VERSION.exec(version);
  if (!m) return null;
  const pad = (n: string | undefined) => (n ?? '0').padStart(VERSION_DIGITS, '0');
  const tail = m[4] === undefined ? '1' : `0${naturalKey(m[4])}`;
  return pad(m[1]) + pad(m[2]) + pad(m[3]) + tail;
}
