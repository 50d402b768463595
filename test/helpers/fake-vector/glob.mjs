// Glob patterns with the semantics of Rust's `glob` crate: `*`, `?`, `[abc]`, `[a-z]`, `[!abc]`, and `**`
// as a whole path segment when expanding file paths.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** True when the text contains glob metacharacters (what `glob::Pattern::escape` would change). */
export function hasGlob(text) {
  return /[*?[\]]/.test(text);
}

/** Converts a glob pattern to an anchored RegExp (`*` also crosses `.` and `/`, like glob::Pattern::matches). */
export function globToRegExp(pattern) {
  let out = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i];
    if (char === '*') out += '.*';
    else if (char === '?') out += '.';
    else if (char === '[' && classEnd(pattern, i) !== -1) {
      const end = classEnd(pattern, i);
      const negate = pattern[i + 1] === '!';
      const body = pattern.slice(i + (negate ? 2 : 1), end).replace(/[\\\]^]/g, '\\$&');
      out += `[${negate ? '^' : ''}${body}]`;
      i = end;
    } else out += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}

// Index of the `]` closing the class opened at `start` (a `]` right after `[` or `[!` is literal).
function classEnd(pattern, start) {
  const first = pattern[start + 1] === '!' ? start + 2 : start + 1;
  return pattern.indexOf(']', first + 1);
}

/** Expands a file-system glob to the existing paths it matches, sorted; a plain path yields itself if it exists. */
export function expandPath(pattern) {
  if (!hasGlob(pattern)) return existsSync(pattern) ? [pattern] : [];
  let bases = [pattern.startsWith('/') ? '/' : ''];
  for (const segment of pattern.split('/').filter(Boolean)) {
    if (segment === '**') bases = bases.flatMap((base) => [base, ...descendantDirs(base)]);
    else if (!hasGlob(segment)) bases = bases.map((base) => join(base, segment));
    else {
      const regexp = globToRegExp(segment);
      bases = bases.flatMap((base) =>
        entries(base)
          .filter((name) => regexp.test(name))
          .map((name) => join(base, name)),
      );
    }
  }
  return [...new Set(bases)].filter((path) => path !== '' && existsSync(path)).sort();
}

function entries(dir) {
  try {
    return readdirSync(dir || '.');
  } catch {
    return [];
  }
}

function descendantDirs(base) {
  return entries(base)
    .map((name) => join(base, name))
    .filter((path) => statSync(path, { throwIfNoEntry: false })?.isDirectory())
    .flatMap((path) => [path, ...descendantDirs(path)]);
}
