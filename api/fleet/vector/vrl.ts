/**
 * What the server can tell about a VRL program without a VRL compiler (none exists for Node): the
 * program is not empty, its strings, raw literals (`s'…'`, `r'…'`, `t'…'`), templates (`{{ … }}`
 * inside a string) and brackets are closed and nest properly, and every function it calls is one
 * Vector knows (vrl-functions.json, with its provenance). Comments (`#` to the end of the line)
 * are skipped. Everything else — types, fallibility, arguments, paths — is left to the full
 * compile, which happens in `vector validate` on the agent (VRL_COMPILE_NOTE).
 */
import functionsJson from './vrl-functions.json' with { type: 'json' };

/** One thing found wrong, at a 1-based line and column (columns count UTF-16 code units). */
export interface VrlIssue {
  line: number;
  column: number;
  message: string;
}

/** The sentence every VRL problem carries, so nobody mistakes a passing lint for a compile. */
export const VRL_COMPILE_NOTE =
  'the server checks only strings, brackets and function names; the full VRL compile happens in `vector validate` on the agent';

/** Issues past this many are not reported (a broken quote can make everything after it wrong). */
export const MAX_VRL_ISSUES = 10;

const KNOWN_FUNCTIONS: ReadonlySet<string> = new Set(functionsJson.functions);
/** VRL's reserved words: `if (…)` is an expression, not a call. */
const KEYWORDS: ReadonlySet<string> = new Set(
  'abort as break continue else false for if impl in let loop null return self std then this true type until use while'.split(
    ' ',
  ),
);
const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
const RAW_PREFIXES = new Set(['s', 'r', 't']);

interface Position {
  line: number;
  column: number;
}

class Lexer {
  readonly issues: VrlIssue[] = [];
  private i = 0;
  private line = 1;
  private column = 1;
  private readonly open: (Position & { ch: string })[] = [];
  private sawCode = false;

  constructor(private readonly text: string) {}

  private get ch(): string {
    return this.text[this.i] ?? '';
  }

  private here(): Position {
    return { line: this.line, column: this.column };
  }

  private advance(): string {
    const ch = this.text[this.i];
    this.i += 1;
    if (ch === '\n') {
      this.line += 1;
      this.column = 1;
    } else this.column += 1;
    return ch;
  }

  private report(at: Position, message: string): void {
    const { line, column } = at;
    this.issues.push({ line, column, message: `line ${line}, column ${column}: ${message}` });
  }

  run(): VrlIssue[] {
    while (this.i < this.text.length && this.issues.length < MAX_VRL_ISSUES) this.token();
    for (const opener of this.open.reverse()) this.report(opener, `unclosed \`${opener.ch}\``);
    if (!this.sawCode) return [{ line: 1, column: 1, message: 'the program is empty' }];
    const inOrder = this.issues.sort((a, b) => a.line - b.line || a.column - b.column);
    return inOrder.slice(0, MAX_VRL_ISSUES);
  }

  private token(): void {
    const ch = this.ch;
    if (/\s/.test(ch)) {
      this.advance();
      return;
    }
    if (ch === '#') {
      while (this.i < this.text.length && this.ch !== '\n') this.advance();
      return;
    }
    this.sawCode = true;
    if (ch === '"') this.string();
    else if (/[A-Za-z_]/.test(ch)) this.identifier();
    else if (OPENERS[ch]) this.open.push({ ...this.here(), ch: this.advance() });
    else if (CLOSERS[ch]) this.close();
    else this.advance();
  }

  private close(): void {
    const at = this.here();
    const ch = this.advance();
    const top = this.open.at(-1);
    if (!top) {
      this.report(at, `unexpected \`${ch}\` with nothing open`);
    } else if (top.ch !== CLOSERS[ch]) {
      this.open.pop();
      this.report(
        at,
        `\`${ch}\` does not close \`${top.ch}\` opened at line ${top.line}, column ${top.column}`,
      );
    } else this.open.pop();
  }

  /** `"…"` with backslash escapes; `{{` opens a template that must close with `}}` in the string. */
  private string(): void {
    const start = this.here();
    this.advance();
    let template: Position | null = null;
    while (this.i < this.text.length) {
      const ch = this.ch;
      if (ch === '\\') {
        this.advance();
        if (this.i < this.text.length) this.advance();
      } else if (ch === '"') {
        if (template) this.report(template, 'unclosed template `{{` (close it with `}}` or write `\\{`)');
        this.advance();
        return;
      } else if (!template && ch === '{' && this.text[this.i + 1] === '{') {
        template = this.here();
        this.advance();
        this.advance();
      } else if (template && ch === '}' && this.text[this.i + 1] === '}') {
        template = null;
        this.advance();
        this.advance();
      } else this.advance();
    }
    this.report(start, 'unterminated string literal `"`');
  }

  /** `s'…'`, `r'…'`, `t'…'`: no escapes except `\'`. */
  private rawLiteral(prefix: string, start: Position): void {
    this.advance(); // the quote
    while (this.i < this.text.length) {
      const ch = this.advance();
      if (ch === '\\' && this.ch === "'") this.advance();
      else if (ch === "'") return;
    }
    this.report(start, `unterminated literal \`${prefix}'\``);
  }

  private identifier(): void {
    const start = this.here();
    const from = this.i;
    const previous = this.text[from - 1] ?? '';
    while (/\w/.test(this.ch)) this.advance();
    const name = this.text.slice(from, this.i);
    if (RAW_PREFIXES.has(name) && this.ch === "'") {
      this.rawLiteral(name, start);
      return;
    }
    const bang = this.ch === '!' ? 1 : 0;
    const isCall = this.text[this.i + bang] === '(';
    // `.field(` and `%meta(` are paths, not calls; keywords are not functions.
    if (!isCall || previous === '.' || previous === '%' || KEYWORDS.has(name)) return;
    if (!KNOWN_FUNCTIONS.has(name)) this.report(start, `call to undefined function \`${name}\``);
  }
}

/**
 * Lints a VRL program (a remap `source`, or a condition's VRL expression). Returns [] when nothing
 * is found wrong — which does not mean it compiles (see VRL_COMPILE_NOTE) — otherwise at most
 * MAX_VRL_ISSUES issues in source order, each message starting with its line and column. Never throws.
 */
export function lintVrl(program: string): VrlIssue[] {
  return new Lexer(program).run();
}
