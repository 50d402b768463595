/**
 * The small condition language of catalogue.json (`conditionallyRequired[].when`,
 * `requiredWhenParentPresent[].when`, `requiredWhen`, `relevantWhen`), and dotted-path lookup in
 * component options. Conditions use full dotted paths from the options root:
 *
 *   mode = "tcp"
 *   mode = "tcp" or mode = "udp"
 *   mode = "tcp" (or mode absent)
 *
 * i.e. a disjunction of `<path> = "<string>"` and `<path> absent` terms; a parenthesised group
 * may continue the disjunction ("(or …)"). Nothing else appears in the catalogue.
 */

/** One term of a condition: the option at `path` equals `equals`, or (when `equals` is absent) is absent. */
interface ConditionTerm {
  path: string;
  equals?: string;
}

const TOKEN = /\s*(?:(\()|(\))|("(?:[^"\\]|\\.)*")|(=)|([A-Za-z_][\w.*[\]]*))/y;

type Token = { kind: '(' | ')' | 'string' | '=' | 'word'; text: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) throw new Error(`unsupported condition ${JSON.stringify(text)} at offset ${start}`);
    if (m[1]) tokens.push({ kind: '(', text: m[1] });
    else if (m[2]) tokens.push({ kind: ')', text: m[2] });
    else if (m[3]) tokens.push({ kind: 'string', text: JSON.parse(m[3]) as string });
    else if (m[4]) tokens.push({ kind: '=', text: m[4] });
    else tokens.push({ kind: 'word', text: m[5] });
  }
  return tokens;
}

function parse(text: string): ConditionTerm[] {
  const tokens = tokenize(text);
  let pos = 0;
  const fail = (): never => {
    throw new Error(`unsupported condition ${JSON.stringify(text)} near token ${pos}`);
  };
  const next = (kind: Token['kind'], word?: string): Token => {
    const token = tokens[pos];
    if (!token || token.kind !== kind || (word !== undefined && token.text !== word)) fail();
    pos += 1;
    return token;
  };
  const isWord = (offset: number, word: string) =>
    tokens[pos + offset]?.kind === 'word' && tokens[pos + offset].text === word;

  const term = (): ConditionTerm => {
    const path = next('word').text;
    if (isWord(0, 'absent')) {
      pos += 1;
      return { path };
    }
    next('=');
    return { path, equals: next('string').text };
  };
  const disjunction = (): ConditionTerm[] => {
    const terms = [term()];
    for (;;) {
      if (isWord(0, 'or')) {
        pos += 1;
        terms.push(term());
      } else if (tokens[pos]?.kind === '(' && isWord(1, 'or')) {
        pos += 2;
        terms.push(...disjunction());
        next(')');
      } else {
        return terms;
      }
    }
  };
  const terms = disjunction();
  if (pos !== tokens.length) fail();
  return terms;
}

const compiled = new Map<string, ConditionTerm[]>();

/**
 * Parses a catalogue condition (cached). Call it to check that a condition is understood; it
 * throws an Error naming the text when the syntax is outside the language above, which means the
 * catalogue grew a construct this parser must learn.
 */
export function parseCondition(text: string): ConditionTerm[] {
  let terms = compiled.get(text);
  if (!terms) {
    terms = parse(text);
    compiled.set(text, terms);
  }
  return terms;
}

/**
 * Evaluates a catalogue condition against component options (the map under `options`). Absent
 * options never equal a value: defaults are not applied, the catalogue spells out "(or x absent)"
 * where a default matters. Throws like parseCondition on unsupported syntax.
 */
export function conditionHolds(text: string, options: Record<string, unknown>): boolean {
  return parseCondition(text).some((t) => {
    const value = getOption(options, t.path);
    return t.equals === undefined ? value === undefined : value === t.equals;
  });
}

/** Narrows unknown JSON to an object (not null, not an array) before reading its keys; never throws. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads the option at a dotted path (`encoding.codec`); undefined when any step is missing or
 * not an object. An explicit null counts as absent (YAML `key: null` / `key: ~`). Never throws.
 */
export function getOption(options: Record<string, unknown>, path: string): unknown {
  let current: unknown = options;
  for (const key of path.split('.')) {
    if (!isPlainObject(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current ?? undefined;
}
