/**
 * The agent query language: a tokenizer and a recursive-descent parser that turn a query string
 * such as `status:offline group:web label.env=prod agentVersion<0.2.0 -platform:kubernetes "db-*"`
 * into a checked syntax tree. agent-query-compile.ts turns the tree into the Prisma `where` of
 * queries.ts, agent-query-assist.ts suggests completions. Grammar (terms are ANDed):
 *
 *   query   := or?                      or    := and ("OR" and)*
 *   and     := unary ("AND"? unary)*    unary := "-" unary | "(" or ")" | term
 *   term    := FIELD op value | "label." KEY | value       (a bare value matches the hostname)
 *   op      := ":" | "=" | "<" | "<=" | ">" | ">="          (comparisons: versions only)
 *   value   := WORD | "quoted \"string\""                   (`*` at either end: a glob)
 *
 * The operator and the value follow their field without spaces. A bare value matches hostnames
 * containing it (case-insensitive); `hostname:` and globs are anchored. Errors carry the position
 * and length of the offending text.
 */
import { Platform } from '../protocol/v1.ts';
import { AGENT_STATUSES, CONFIG_STATUSES, type AgentStatus, type ConfigStatus } from './agent-status.ts';
import { FleetError, FleetErrorCode } from './errors.ts';
import { versionKey } from './sort-keys.ts';

/** A syntax or value error in a query, at `position` (0-based) spanning `length` characters. */
export class AgentQueryError extends FleetError {
  constructor(
    message: string,
    readonly position: number,
    readonly length: number,
  ) {
    super(FleetErrorCode.validationFailed, message, [{ path: 'filter.query', message }]);
    this.name = 'AgentQueryError';
  }
}

/** The longest query accepted, in characters: room for a quoted config error message (16 KiB). */
export const MAX_AGENT_QUERY_LENGTH = 40_000;

/** Fields a term can name (besides `label.<key>`), with what their values are. */
export const AGENT_QUERY_FIELDS = {
  status: `agent status: ${AGENT_STATUSES.join(', ')}`,
  configStatus: `config status: ${CONFIG_STATUSES.join(', ')}`,
  group: 'group slug',
  platform: 'platform',
  hostname: 'hostname (case-insensitive, `*` globs)',
  agentVersion: 'agent version; <, <=, >, >= compare semantic versions',
  vectorVersion: 'Vector version; <, <=, >, >= compare semantic versions',
  error: 'config error message (exact, `*` globs)',
} as const;
export type AgentQueryField = keyof typeof AGENT_QUERY_FIELDS;

/** Enumerated values of the fields that have them. */
export const AGENT_QUERY_VALUES: Partial<Record<AgentQueryField, readonly string[]>> = {
  status: AGENT_STATUSES,
  configStatus: CONFIG_STATUSES,
  platform: Platform.options,
};

export type CompareOp = '<' | '<=' | '>' | '>=';

/** A text pattern: `text` anchored at the start and/or end (a `*` at an end removes its anchor). */
export interface Pattern {
  text: string;
  anchorStart: boolean;
  anchorEnd: boolean;
}

export type AgentQueryNode =
  | { kind: 'and' | 'or'; items: AgentQueryNode[] }
  | { kind: 'not'; item: AgentQueryNode }
  | { kind: 'status'; value: AgentStatus }
  | { kind: 'configStatus'; value: ConfigStatus }
  | { kind: 'platform'; value: Platform }
  | {
      kind: 'text';
      field: 'hostname' | 'group' | 'agentVersion' | 'vectorVersion' | 'error';
      pattern: Pattern;
    }
  | { kind: 'label'; key: string; pattern: Pattern | null }
  | { kind: 'compare'; field: 'agentVersion' | 'vectorVersion'; op: CompareOp; key: string };

type TokenType = 'word' | 'string' | 'op' | 'lparen' | 'rparen' | 'not';
export interface Token {
  type: TokenType;
  /** The text (a string's unescaped content). */
  value: string;
  start: number;
  end: number;
}

const WORD_STOP = /[\s()":=<>]/;

/** Split `query` into tokens. Throws AgentQueryError for an unterminated string. */
export function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const c = query[i];
    const start = i;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ type: c === '(' ? 'lparen' : 'rparen', value: c, start, end: ++i });
    } else if (c === '"') {
      let value = '';
      for (i++; i < query.length && query[i] !== '"'; i++) {
        if (query[i] === '\\' && i + 1 < query.length) i++;
        value += query[i];
      }
      if (i >= query.length)
        throw new AgentQueryError('unterminated string: add the closing "', start, i - start);
      tokens.push({ type: 'string', value, start, end: ++i });
    } else if (c === ':' || c === '=' || c === '<' || c === '>') {
      i += (c === '<' || c === '>') && query[i + 1] === '=' ? 2 : 1;
      tokens.push({ type: 'op', value: query.slice(start, i), start, end: i });
    } else if (c === '-' && (start === 0 || /[\s(]/.test(query[start - 1]))) {
      tokens.push({ type: 'not', value: '-', start, end: ++i });
    } else {
      while (i < query.length && !WORD_STOP.test(query[i])) i++;
      tokens.push({ type: 'word', value: query.slice(start, i), start, end: i });
    }
  }
  return tokens;
}

/** Quote `value` for a query when it is not a plain word. */
export function quoteQueryValue(value: string): string {
  return value !== '' && !WORD_STOP.test(value) && !value.startsWith('-')
    ? value
    : `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

const FIELD_BY_LOWER = new Map(
  Object.keys(AGENT_QUERY_FIELDS).map((f) => [f.toLowerCase(), f as AgentQueryField]),
);
const LABEL_PREFIX = 'label.';

class Parser {
  private i = 0;
  constructor(
    private readonly query: string,
    private readonly tokens: Token[],
  ) {}

  parse(): AgentQueryNode {
    const node = this.peek() ? this.or() : { kind: 'and' as const, items: [] };
    const extra = this.peek();
    if (extra) throw this.error(`unexpected "${extra.value}"`, extra);
    return node;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }

  private error(message: string, token: Token | undefined): AgentQueryError {
    if (!token) return new AgentQueryError(`${message} at the end of the query`, this.query.length, 0);
    return new AgentQueryError(message, token.start, token.end - token.start);
  }

  private isKeyword(token: Token | undefined, word: 'OR' | 'AND'): boolean {
    return token?.type === 'word' && token.value === word && this.peek(1)?.type !== 'op';
  }

  private or(): AgentQueryNode {
    const items = [this.and()];
    while (this.isKeyword(this.peek(), 'OR')) {
      this.i++;
      items.push(this.and());
    }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  }

  private and(): AgentQueryNode {
    const items = [this.unary()];
    for (;;) {
      const next = this.peek();
      if (!next || next.type === 'rparen' || this.isKeyword(next, 'OR')) break;
      if (this.isKeyword(next, 'AND')) this.i++;
      items.push(this.unary());
    }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  }

  private unary(): AgentQueryNode {
    const token = this.peek();
    if (!token) throw this.error('expected a term', token);
    if (token.type === 'not') {
      this.i++;
      const next = this.peek();
      if (!next || next.start !== token.end) throw this.error('expected a term right after "-"', token);
      return { kind: 'not', item: this.unary() };
    }
    if (token.type === 'lparen') {
      this.i++;
      const inner = this.or();
      const close = this.peek();
      if (close?.type !== 'rparen') throw this.error('expected ")"', close);
      this.i++;
      return inner;
    }
    return this.term();
  }

  private term(): AgentQueryNode {
    const head = this.peek() as Token;
    if (
      head.type === 'rparen' ||
      head.type === 'op' ||
      this.isKeyword(head, 'OR') ||
      this.isKeyword(head, 'AND')
    ) {
      throw this.error(`expected a term, found "${head.value}"`, head);
    }
    this.i++;
    const op = this.peek();
    if (op?.type !== 'op' || op.start !== head.end) {
      if (head.type === 'word' && head.value.startsWith(LABEL_PREFIX)) {
        return { kind: 'label', key: this.labelKey(head), pattern: null };
      }
      return { kind: 'text', field: 'hostname', pattern: this.pattern(head, false) };
    }
    if (head.type === 'string') throw this.error('a field name is not quoted', head);
    this.i++;
    const value = this.peek();
    if ((value?.type !== 'word' && value?.type !== 'string') || value.start !== op.end) {
      const message = `expected a value right after "${head.value}${op.value}"`;
      throw this.error(message, value ? op : undefined);
    }
    this.i++;
    return this.fieldTerm(head, op, value);
  }

  private labelKey(head: Token): string {
    const key = head.value.slice(LABEL_PREFIX.length);
    if (!key) throw this.error('expected a label key after "label."', head);
    return key;
  }

  private pattern(token: Token, anchored: boolean): Pattern {
    let text = token.value;
    const anchorStart = !text.startsWith('*') && (anchored || text.includes('*'));
    const anchorEnd = !text.endsWith('*') && (anchored || text.includes('*'));
    text = text.replace(/^\*/, '').replace(/\*$/, '');
    const star = text.indexOf('*');
    if (star >= 0) {
      const at = token.start + (token.type === 'string' ? 1 : 0) + token.value.indexOf('*', 1);
      throw new AgentQueryError('"*" is allowed only at the start or end of a value', at, 1);
    }
    return { text, anchorStart, anchorEnd };
  }

  private fieldTerm(head: Token, op: Token, value: Token): AgentQueryNode {
    if (head.value.startsWith(LABEL_PREFIX)) {
      if (op.value !== ':' && op.value !== '=') throw this.error('labels compare with ":" or "="', op);
      return { kind: 'label', key: this.labelKey(head), pattern: this.pattern(value, true) };
    }
    const field = FIELD_BY_LOWER.get(head.value.toLowerCase());
    if (!field) {
      const known = [...Object.keys(AGENT_QUERY_FIELDS), 'label.<key>'].join(', ');
      throw this.error(`unknown field "${head.value}": expected one of ${known}`, head);
    }
    const compare = op.value !== ':' && op.value !== '=';
    if (field === 'agentVersion' || field === 'vectorVersion') {
      if (!compare) return { kind: 'text', field, pattern: this.pattern(value, true) };
      const key = versionKey(value.value);
      if (key === null) throw this.error(`expected a version such as 1.2.3 after "${op.value}"`, value);
      return { kind: 'compare', field, op: op.value as CompareOp, key };
    }
    if (compare) throw this.error(`"${op.value}" compares versions only: use ":" with ${field}`, op);
    const allowed = AGENT_QUERY_VALUES[field];
    if (!allowed)
      return {
        kind: 'text',
        field: field as 'hostname' | 'group' | 'error',
        pattern: this.pattern(value, true),
      };
    const match = allowed.find((v) => v === value.value.toLowerCase());
    if (!match) throw this.error(`${field} is one of ${allowed.join(', ')}`, value);
    return { kind: field, value: match } as AgentQueryNode;
  }
}

/**
 * Parse a query string into its syntax tree (an empty query is an empty AND: every agent).
 * Throws AgentQueryError with the position and length of the first problem.
 */
export function parseAgentQuery(query: string): AgentQueryNode {
  if (query.length > MAX_AGENT_QUERY_LENGTH) {
    throw new AgentQueryError(
      `the query is longer than ${MAX_AGENT_QUERY_LENGTH} characters`,
      MAX_AGENT_QUERY_LENGTH,
      query.length - MAX_AGENT_QUERY_LENGTH,
    );
  }
  return new Parser(query, tokenize(query)).parse();
}
