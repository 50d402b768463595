/**
 * Editing an agent query string on the client. Parsing and meaning stay on the server
 * (api/fleet/agent-query.ts, `agentQueryAssist`); these helpers only split the text into
 * whitespace-separated terms (quotes respected) so shortcuts can read and replace `field:value`
 * terms, and apply an autocomplete suggestion at its range.
 */

/** One term of a query: its text and where it sits. */
export interface QueryTerm {
  text: string;
  from: number;
  to: number;
}

/** A suggestion as `agentQueryAssist` returns it (the part the client applies). */
export interface QuerySuggestion {
  insertText: string;
  replaceFrom: number;
  replaceTo: number;
}

const PLAIN_VALUE = /^[^\s"]+$/;

/** Split a query into terms at whitespace outside double quotes. */
export function splitTerms(query: string): QueryTerm[] {
  const terms: QueryTerm[] = [];
  let start = -1;
  let quoted = false;
  for (let i = 0; i <= query.length; i++) {
    const ch = query[i];
    const end = ch === undefined || (!quoted && /\s/.test(ch));
    if (end) {
      if (start >= 0) terms.push({ text: query.slice(start, i), from: start, to: i });
      start = -1;
      continue;
    }
    if (start < 0) start = i;
    if (ch === '"' && query[i - 1] !== '\\') quoted = !quoted;
  }
  return terms;
}

/** `field:value` (or with another operator), the value quoted when it needs to be. */
export function queryTerm(field: string, value: string, operator = ':'): string {
  const text = PLAIN_VALUE.test(value) ? value : `"${value.replace(/(["\\])/g, '\\$1')}"`;
  return `${field}${operator}${text}`;
}

const fieldPrefix = (field: string) => new RegExp(`^${field.replace(/\./g, '\\.')}:`, 'i');

/** The value of the first positive `field:value` term ('' when there is none). */
export function termValue(query: string, field: string): string {
  const term = splitTerms(query).find((t) => fieldPrefix(field).test(t.text));
  if (!term) return '';
  const value = term.text.slice(field.length + 1);
  return value.startsWith('"') && value.endsWith('"') && value.length >= 2
    ? value.slice(1, -1).replace(/\\(["\\])/g, '$1')
    : value;
}

/**
 * The query with every positive `field:` term replaced by `field:value` (added at the end when
 * there was none; removed when value is empty). Other terms keep their text and order.
 */
export function setTerm(query: string, field: string, value: string): string {
  const kept = splitTerms(query)
    .map((t) => t.text)
    .filter((text) => !fieldPrefix(field).test(text));
  if (value) kept.push(queryTerm(field, value));
  return kept.join(' ');
}

/** Apply a suggestion: the new text and where the cursor goes (after the inserted text). */
export function applySuggestion(query: string, s: QuerySuggestion): { text: string; cursor: number } {
  const from = Math.max(0, Math.min(s.replaceFrom, query.length));
  const to = Math.max(from, Math.min(s.replaceTo, query.length));
  const text = query.slice(0, from) + s.insertText + query.slice(to);
  return { text, cursor: from + s.insertText.length };
}
