// The fake's VRL "compiler": it finds what a real compile would also refuse — an empty program,
// unclosed strings, raw literals (s'…', r'…', t'…'), templates ({{ … }} inside a string) and
// brackets, and calls to functions Vector does not have — and fails on the test marker
// FAKE_VRL_COMPILE_ERROR. Everything else compiles. The function names are the server's list
// (api/fleet/vector/vrl-functions.json), so both sides know the same VRL.
import { readFileSync } from 'node:fs';

const FUNCTIONS = new Set(
  JSON.parse(readFileSync(new URL('../../../api/fleet/vector/vrl-functions.json', import.meta.url), 'utf8'))
    .functions,
);
const KEYWORDS = new Set(
  'abort as break continue else false for if impl in let loop null return self std then this true type until use while'.split(
    ' ',
  ),
);
const PAIRS = { ')': '(', ']': '[', '}': '{' };
const MAX_ERRORS = 10;

/** The marker that makes a VRL program fail to compile here, wherever it appears in the program. */
export const VRL_COMPILE_MARKER = 'FAKE_VRL_COMPILE_ERROR';

/** Compile errors of a VRL program, `line L, column C: …` each (at most 10, in source order); [] compiles. */
export function compileVrl(program) {
  if (program.includes(VRL_COMPILE_MARKER)) {
    return [`error[E000]: the program contains ${VRL_COMPILE_MARKER} (the fake vector's failing compile)`];
  }
  const errors = [];
  const open = [];
  let i = 0;
  let line = 1;
  let column = 1;
  let code = false;
  const at = () => ({ line, column });
  const next = () => {
    const ch = program[i++];
    if (ch === '\n') [line, column] = [line + 1, 1];
    else column += 1;
    return ch;
  };
  const fail = (pos, message) =>
    errors.push({ ...pos, message: `line ${pos.line}, column ${pos.column}: ${message}` });

  const string = (start) => {
    let template = null;
    while (i < program.length) {
      const ch = program[i];
      if (ch === '\\') {
        next();
        if (i < program.length) next();
      } else if (ch === '"') {
        if (template) fail(template, 'unclosed template `{{` (close it with `}}` or write `\\{`)');
        next();
        return;
      } else if (!template && ch === '{' && program[i + 1] === '{') {
        template = at();
        next();
        next();
      } else if (template && ch === '}' && program[i + 1] === '}') {
        template = null;
        next();
        next();
      } else next();
    }
    fail(start, 'unterminated string literal `"`');
  };
  const raw = (prefix, start) => {
    next();
    while (i < program.length) {
      const ch = next();
      if (ch === '\\' && program[i] === "'") next();
      else if (ch === "'") return;
    }
    fail(start, `unterminated literal \`${prefix}'\``);
  };
  const word = (start) => {
    const from = i;
    const before = program[from - 1] ?? '';
    while (/\w/.test(program[i] ?? '')) next();
    const name = program.slice(from, i);
    if (['s', 'r', 't'].includes(name) && program[i] === "'") return raw(name, start);
    const call = program[i + (program[i] === '!' ? 1 : 0)] === '(';
    if (call && before !== '.' && before !== '%' && !KEYWORDS.has(name) && !FUNCTIONS.has(name))
      fail(start, `call to undefined function \`${name}\``);
  };

  while (i < program.length && errors.length < MAX_ERRORS) {
    const ch = program[i];
    const start = at();
    if (/\s/.test(ch)) next();
    else if (ch === '#') while (i < program.length && program[i] !== '\n') next();
    else {
      code = true;
      if (ch === '"') {
        next();
        string(start);
      } else if (/[A-Za-z_]/.test(ch)) word(start);
      else if ('([{'.includes(ch)) open.push({ ...start, ch: next() });
      else if (PAIRS[ch]) {
        next();
        const top = open.pop();
        if (!top) fail(start, `unexpected \`${ch}\` with nothing open`);
        else if (top.ch !== PAIRS[ch])
          fail(
            start,
            `\`${ch}\` does not close \`${top.ch}\` opened at line ${top.line}, column ${top.column}`,
          );
      } else next();
    }
  }
  if (!code) return ['the program is empty'];
  for (const top of open.reverse()) fail(top, `unclosed \`${top.ch}\``);
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  return errors.slice(0, MAX_ERRORS).map((error) => error.message);
}
