/**
 * Autocomplete for the agent query language (agent-query.ts): the syntax error of the whole query,
 * if any, and suggestions for the word at the cursor — field names at the start of a term, values
 * after `field:` (statuses, config statuses, platforms, group slugs, versions and errors seen),
 * label keys after `label.` and a key's values after `label.key=`.
 */
import type { Tx } from './context.ts';
import {
  AGENT_QUERY_FIELDS,
  AGENT_QUERY_VALUES,
  AgentQueryError,
  parseAgentQuery,
  quoteQueryValue,
  type AgentQueryField,
} from './agent-query.ts';

/** At most this many suggestions are returned. */
export const MAX_QUERY_SUGGESTIONS = 20;

export interface AgentQuerySuggestion {
  label: string;
  /** Replaces query[replaceFrom, replaceTo). */
  insertText: string;
  detail: string | null;
  replaceFrom: number;
  replaceTo: number;
}

export interface AgentQueryAssist {
  error: { message: string; position: number; length: number } | null;
  suggestions: AgentQuerySuggestion[];
}

const LABEL_PREFIX = 'label.';
const TERM_BREAK = /[\s()]/;

function syntaxError(query: string): AgentQueryAssist['error'] {
  try {
    parseAgentQuery(query);
    return null;
  } catch (error) {
    if (!(error instanceof AgentQueryError)) throw error;
    return { message: error.message, position: error.position, length: error.length };
  }
}

const live = { revokedAt: null };

/** Values seen for `field` (or label `labelKey`), for suggestions; `prefix` narrows hostnames. */
async function valuesOf(db: Tx, field: string, prefix: string): Promise<string[]> {
  const known = AGENT_QUERY_VALUES[field as AgentQueryField];
  if (known) return [...known];
  const take = MAX_QUERY_SUGGESTIONS;
  if (field.startsWith(LABEL_PREFIX)) {
    const rows = await db.$queryRaw<{ v: string }[]>`
      SELECT DISTINCT labels ->> ${field.slice(LABEL_PREFIX.length)} AS v FROM agents
      WHERE revoked_at IS NULL AND labels ->> ${field.slice(LABEL_PREFIX.length)} IS NOT NULL
      ORDER BY v LIMIT 200`;
    return rows.map((r) => r.v);
  }
  switch (field) {
    case 'group':
      return (await db.group.findMany({ select: { slug: true }, orderBy: { slug: 'asc' } })).map(
        (g) => g.slug,
      );
    case 'hostname': {
      const rows = await db.agent.findMany({
        where: { ...live, hostname: { startsWith: prefix, mode: 'insensitive' } },
        select: { hostname: true },
        orderBy: [{ hostnameSortKey: 'asc' }, { hostname: 'asc' }],
        distinct: ['hostname'],
        take,
      });
      return rows.map((r) => r.hostname);
    }
    case 'agentVersion':
      return (
        await db.agent.findMany({
          where: live,
          select: { agentVersion: true },
          distinct: ['agentVersion'],
          orderBy: { agentVersionKey: { sort: 'desc', nulls: 'last' } },
          take: 200,
        })
      ).map((r) => r.agentVersion);
    case 'vectorVersion':
      return (
        await db.agent.findMany({
          where: live,
          select: { vectorVersion: true },
          distinct: ['vectorVersion'],
          orderBy: { vectorVersionKey: { sort: 'desc', nulls: 'last' } },
          take: 200,
        })
      ).map((r) => r.vectorVersion);
    case 'error': {
      const rows = await db.agent.findMany({
        where: { ...live, configErrorMessage: { not: null } },
        select: { configErrorMessage: true },
        distinct: ['configErrorMessage'],
        take: 200,
      });
      return rows.map((r) => r.configErrorMessage ?? '');
    }
    default:
      return [];
  }
}

async function labelKeys(db: Tx): Promise<string[]> {
  const rows = await db.$queryRaw<{ k: string }[]>`
    SELECT DISTINCT jsonb_object_keys(labels) AS k FROM agents WHERE revoked_at IS NULL ORDER BY k LIMIT 200`;
  return rows.map((r) => r.k);
}

const startsWithInsensitive = (value: string, prefix: string) =>
  value.toLowerCase().startsWith(prefix.toLowerCase());

/**
 * The syntax error of `query` (null when it parses) and completions for the word at `cursor`
 * (clamped to the query). Reads distinct values from the database; rejects only when it fails.
 */
export async function agentQueryAssist(db: Tx, query: string, cursor: number): Promise<AgentQueryAssist> {
  const at = Math.max(0, Math.min(cursor, query.length));
  let start = at;
  while (start > 0 && !TERM_BREAK.test(query[start - 1])) start--;
  let end = at;
  while (end < query.length && !TERM_BREAK.test(query[end])) end++;
  if (query[start] === '-' && start < at) start++;
  const word = query.slice(start, at);
  const suggestions: AgentQuerySuggestion[] = [];
  const op = /^([^:=<>"]+)(<=|>=|[:=<>])"?(.*)$/.exec(word);
  if (op) {
    const [, field, operator, prefix] = op;
    const from = start + field.length + operator.length;
    for (const value of await valuesOf(db, field, prefix.replace(/\*$/, ''))) {
      if (!startsWithInsensitive(value, prefix)) continue;
      suggestions.push({
        label: value,
        insertText: quoteQueryValue(value),
        detail: null,
        replaceFrom: from,
        replaceTo: end,
      });
    }
  } else if (word.startsWith(LABEL_PREFIX)) {
    for (const key of await labelKeys(db)) {
      const text = `${LABEL_PREFIX}${key}`;
      if (!startsWithInsensitive(text, word)) continue;
      suggestions.push({
        label: text,
        insertText: `${text}=`,
        detail: 'label value',
        replaceFrom: start,
        replaceTo: end,
      });
    }
  } else {
    const fields: [string, string][] = [
      ...Object.entries(AGENT_QUERY_FIELDS),
      [LABEL_PREFIX, 'label.<key> (has the label) or label.<key>=<value>'],
    ];
    for (const [field, detail] of fields) {
      if (!startsWithInsensitive(field, word)) continue;
      const insertText = field === LABEL_PREFIX ? field : `${field}:`;
      suggestions.push({ label: field, insertText, detail, replaceFrom: start, replaceTo: end });
    }
  }
  return { error: syntaxError(query), suggestions: suggestions.slice(0, MAX_QUERY_SUGGESTIONS) };
}
