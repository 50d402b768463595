// A small TOML 1.0 reader, enough for Vector configs: tables, arrays of tables, dotted and quoted keys,
// basic/literal/multi-line strings, integers, floats, booleans, arrays and inline tables (date-times are
// kept as strings). Errors have the layout of the toml crate Vector uses, e.g. YAML read as TOML:
//   TOML parse error at line 1, column 8
//     |
//   1 | sources:
//     |        ^
//   expected `.`, `=`
const BARE_KEY = /[A-Za-z0-9_-]/;
const DATETIME =
  /^(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?)?|\d{2}:\d{2}:\d{2}(?:\.\d+)?)/;
const NUMBER =
  /^[+-]?(?:0x[0-9A-Fa-f_]+|0o[0-7_]+|0b[01_]+|inf|nan|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d[\d_]*)?)/;
const BOOLEAN = /^(?:true|false)(?![\w-])/;
const ESCAPES = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };

// A TOML syntax error; the message has the toml crate's layout.
class TomlError extends Error {}

/** Parses TOML text into a plain object; throws TomlError on invalid input. */
export function parseToml(text) {
  return new Parser(text).document();
}

class Parser {
  constructor(src) {
    this.src = src;
    this.pos = 0;
    this.explicitTables = new WeakSet();
  }

  fail(message, at = this.pos) {
    const lineStart = this.src.lastIndexOf('\n', at - 1) + 1;
    const lineEnd = this.src.indexOf('\n', at) === -1 ? this.src.length : this.src.indexOf('\n', at);
    const line = this.src.slice(0, at).split('\n').length;
    const column = [...this.src.slice(lineStart, at)].length + 1;
    const gutter = ' '.repeat(String(line).length);
    const text = this.src.slice(lineStart, lineEnd).replace(/\r$/, '');
    throw new TomlError(
      `TOML parse error at line ${line}, column ${column}\n${gutter} |\n${line} | ${text}\n` +
        `${gutter} | ${' '.repeat(column - 1)}^\n${message}\n`,
    );
  }

  peek() {
    return this.src[this.pos];
  }

  at(text) {
    return this.src.startsWith(text, this.pos);
  }

  skipSpaces() {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos += 1;
    if (this.peek() === '#') while (this.pos < this.src.length && this.peek() !== '\n') this.pos += 1;
  }

  skipBlankLines() {
    for (;;) {
      this.skipSpaces();
      if (this.peek() === '\n') this.pos += 1;
      else if (this.at('\r\n')) this.pos += 2;
      else return;
    }
  }

  document() {
    const root = {};
    let table = root;
    for (;;) {
      this.skipBlankLines();
      if (this.pos >= this.src.length) return root;
      if (this.peek() === '[') table = this.header(root);
      else this.keyValue(table);
      this.skipSpaces();
      if (this.pos < this.src.length && this.peek() !== '\n' && !this.at('\r\n'))
        this.fail('expected newline, `#`');
    }
  }

  header(root) {
    const start = this.pos;
    const isArray = this.at('[[');
    this.pos += isArray ? 2 : 1;
    this.skipSpaces();
    const keys = this.key();
    if (!this.at(isArray ? ']]' : ']'))
      this.fail(isArray ? 'invalid table header\nexpected `]]`' : 'expected `.`, `]`');
    this.pos += isArray ? 2 : 1;
    const parent = keys.slice(0, -1).reduce((table, key) => this.descend(table, key, start), root);
    const last = keys.at(-1);
    if (isArray) {
      parent[last] ??= [];
      if (!Array.isArray(parent[last])) this.fail(`duplicate key \`${last}\``, start);
      parent[last].push({});
      return parent[last].at(-1);
    }
    const existing = parent[last];
    if (existing !== undefined && (!isTable(existing) || this.explicitTables.has(existing))) {
      this.fail(`duplicate key \`${last}\``, start);
    }
    parent[last] = existing ?? {};
    this.explicitTables.add(parent[last]);
    return parent[last];
  }

  descend(table, key, start) {
    table[key] ??= {};
    const value = Array.isArray(table[key]) ? table[key].at(-1) : table[key];
    if (!isTable(value)) this.fail(`duplicate key \`${key}\``, start);
    return value;
  }

  keyValue(table) {
    const start = this.pos;
    const keys = this.key();
    if (this.peek() !== '=') this.fail('expected `.`, `=`');
    this.pos += 1;
    this.skipSpaces();
    const value = this.value();
    const target = keys.slice(0, -1).reduce((parent, key) => this.descend(parent, key, start), table);
    if (Object.hasOwn(target, keys.at(-1))) this.fail(`duplicate key \`${keys.at(-1)}\``, start);
    target[keys.at(-1)] = value;
  }

  // A dotted key; leaves the position after trailing spaces.
  key() {
    const keys = [this.simpleKey()];
    this.skipSpaces();
    while (this.peek() === '.') {
      this.pos += 1;
      this.skipSpaces();
      keys.push(this.simpleKey());
      this.skipSpaces();
    }
    return keys;
  }

  simpleKey() {
    if (this.peek() === '"') return this.basicString();
    if (this.peek() === "'") return this.literalString();
    const start = this.pos;
    while (this.pos < this.src.length && BARE_KEY.test(this.peek())) this.pos += 1;
    if (this.pos === start) this.fail('invalid key');
    return this.src.slice(start, this.pos);
  }

  value() {
    if (this.at('"""')) return this.multiline('"');
    if (this.at("'''")) return this.multiline("'");
    if (this.peek() === '"') return this.basicString();
    if (this.peek() === "'") return this.literalString();
    if (this.peek() === '[') return this.array();
    if (this.peek() === '{') return this.inlineTable();
    const rest = this.src.slice(this.pos);
    const match = BOOLEAN.exec(rest) ?? DATETIME.exec(rest) ?? NUMBER.exec(rest);
    if (!match) this.fail('invalid string\nexpected `"`, `\'`');
    this.pos += match[0].length;
    return scalar(match[0]);
  }

  basicString() {
    let out = '';
    for (this.pos += 1; ;) {
      const char = this.src[this.pos++];
      if (char === undefined || char === '\n') this.fail('invalid basic string', this.pos - 1);
      if (char === '"') return out;
      out += char === '\\' ? this.escape() : char;
    }
  }

  escape() {
    const char = this.src[this.pos++];
    if (char in ESCAPES) return ESCAPES[char];
    const length = { u: 4, U: 8 }[char];
    const hex = length ? this.src.slice(this.pos, this.pos + length) : '';
    if (!length || !new RegExp(`^[0-9A-Fa-f]{${length}}$`).test(hex))
      this.fail('invalid escape sequence', this.pos - 1);
    this.pos += length;
    return String.fromCodePoint(parseInt(hex, 16));
  }

  literalString() {
    const end = this.src.indexOf("'", this.pos + 1);
    const newline = this.src.indexOf('\n', this.pos + 1);
    if (end === -1 || (newline !== -1 && newline < end)) this.fail('invalid literal string');
    const text = this.src.slice(this.pos + 1, end);
    this.pos = end + 1;
    return text;
  }

  // """basic""" (with escapes and line-ending backslashes) or '''literal'''; a newline right after the
  // opening delimiter is dropped, and up to two quotes may precede the closing delimiter.
  multiline(quote) {
    const start = this.pos;
    this.pos += 3;
    if (this.at('\r\n')) this.pos += 2;
    else if (this.peek() === '\n') this.pos += 1;
    let out = '';
    while (!this.at(quote.repeat(3))) {
      if (this.pos >= this.src.length) this.fail('invalid multiline string', start);
      const char = this.src[this.pos++];
      if (quote === "'" || char !== '\\') out += char;
      else if (/^[ \t]*\r?\n/.test(this.src.slice(this.pos)))
        while (/[ \t\r\n]/.test(this.peek() ?? '')) this.pos += 1;
      else out += this.escape();
    }
    let extra = 0;
    while (extra < 2 && this.src[this.pos + 3 + extra] === quote) extra += 1;
    this.pos += 3 + extra;
    return out + quote.repeat(extra);
  }

  array() {
    const items = [];
    this.pos += 1;
    for (;;) {
      this.skipBlankLines();
      if (this.peek() === ']') break;
      items.push(this.value());
      this.skipBlankLines();
      if (this.peek() === ',') this.pos += 1;
      else if (this.peek() !== ']') this.fail('invalid array\nexpected `]`');
    }
    this.pos += 1;
    return items;
  }

  inlineTable() {
    const table = {};
    this.pos += 1;
    this.skipSpaces();
    while (this.peek() !== '}') {
      this.keyValue(table);
      this.skipSpaces();
      if (this.peek() === ',') {
        this.pos += 1;
        this.skipSpaces();
      } else if (this.peek() !== '}') this.fail('invalid inline table\nexpected `}`');
    }
    this.pos += 1;
    return table;
  }
}

function isTable(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function scalar(text) {
  if (text === 'true' || text === 'false') return text === 'true';
  if (DATETIME.test(text)) return text;
  const plain = text.replace(/_/g, '');
  if (/^[+-]?(inf|nan)$/.test(plain))
    return plain.endsWith('nan') ? NaN : plain.startsWith('-') ? -Infinity : Infinity;
  const radix = { x: 16, o: 8, b: 2 }[plain[1]];
  return radix ? parseInt(plain.slice(2), radix) : Number(plain);
}
