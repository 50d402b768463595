/**
 * The config poll's query (`since=N[&wait=S]`), parsed by hand on the hot path: a plain query (no
 * %-escapes, no `+`) with valid numbers is read without URLSearchParams or zod; anything else goes
 * through both, so every refusal keeps the exact error it had (the protocol's ConfigQuery rules).
 */
import { ConfigQuery, ErrorCode, LONG_POLL_MAX_SECONDS } from '../protocol/v1.ts';
import { HttpError } from './http.ts';

/** The parsed query; throws HttpError 400 invalid_query as ConfigQuery would refuse it. */
export function parseConfigQuery(raw: string): ConfigQuery {
  if (raw.includes('%') || raw.includes('+')) return parseSlowly(raw);
  let since: string | undefined;
  let wait: string | undefined;
  let start = 0;
  while (start <= raw.length) {
    let end = raw.indexOf('&', start);
    if (end === -1) end = raw.length;
    const eq = raw.indexOf('=', start);
    const keyEnd = eq === -1 || eq > end ? end : eq;
    const key = raw.slice(start, keyEnd);
    const value = keyEnd === end ? '' : raw.slice(keyEnd + 1, end);
    if (since === undefined && key === 'since') since = value;
    else if (wait === undefined && key === 'wait') wait = value;
    start = end + 1;
  }
  const sinceNumber = since === undefined ? -1 : digits(since, 9);
  const waitNumber = wait === undefined ? 0 : digits(wait, 2);
  if (
    sinceNumber < 0 ||
    waitNumber < 0 ||
    (wait !== undefined && !(waitNumber >= 1 && waitNumber <= LONG_POLL_MAX_SECONDS))
  )
    return parseSlowly(raw);
  if (wait === undefined) return { since: sinceNumber };
  return { since: sinceNumber, wait: waitNumber };
}

/** The value of 1 to `max` ASCII digits, or -1. */
function digits(s: string, max: number): number {
  if (s.length === 0 || s.length > max) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** URLSearchParams and the protocol's zod schema: the reference behaviour, with its error messages. */
export function parseSlowly(raw: string): ConfigQuery {
  const query = new URLSearchParams(raw);
  const parsed = ConfigQuery.safeParse({
    since: query.get('since') ?? undefined,
    wait: query.get('wait') ?? undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HttpError(400, ErrorCode.invalidQuery, `${issue.path.join('.') || 'since'}: ${issue.message}`);
  }
  return parsed.data;
}
