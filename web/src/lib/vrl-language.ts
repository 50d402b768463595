/**
 * VRL (Vector Remap Language) highlighting for CodeMirror 6 as a StreamLanguage tokenizer:
 * comments, strings (with `{{ … }}` templates left inside), raw literals (`s'…'`, `r'…'`, `t'…'`),
 * numbers, keywords, function calls (`parse_json!(`), event paths (`.field`, `%metadata`) and
 * operators. Imported only by the lazily loaded VRL editor.
 */
import { StreamLanguage, type StreamParser } from '@codemirror/language';

const KEYWORDS = new Set([
  'abort',
  'else',
  'false',
  'for',
  'if',
  'in',
  'let',
  'loop',
  'null',
  'return',
  'true',
  'break',
  'continue',
]);

interface VrlState {
  /** Inside a `"…"` string that continues on the next line. */
  inString: boolean;
}

/** Consume a `"…"` string from its current position; true when it closed on this line. */
function readString(stream: Parameters<StreamParser<VrlState>['token']>[0]): boolean {
  let escaped = false;
  let ch: string | void;
  while ((ch = stream.next()) !== undefined) {
    if (ch === '"' && !escaped) return true;
    escaped = !escaped && ch === '\\';
  }
  return false;
}

const parser: StreamParser<VrlState> = {
  name: 'vrl',
  startState: () => ({ inString: false }),
  token(stream, state) {
    if (state.inString) {
      state.inString = !readString(stream);
      return 'string';
    }
    if (stream.eatSpace()) return null;
    if (stream.match('#')) {
      stream.skipToEnd();
      return 'comment';
    }
    if (stream.match(/^[srt]'/)) {
      stream.match(/^(?:[^'\\]|\\.)*'?/);
      return stream.string[stream.start] === 'r' ? 'regexp' : 'string';
    }
    if (stream.eat('"')) {
      state.inString = !readString(stream);
      return 'string';
    }
    if (stream.match(/^-?\d[\d_]*(\.\d+)?/)) return 'number';
    if (stream.match(/^[.%][A-Za-z_@][\w@]*/) || stream.match(/^\.(?![\w])/)) return 'propertyName';
    const word = stream.match(/^[A-Za-z_]\w*/) as RegExpMatchArray | null;
    if (word) {
      if (KEYWORDS.has(word[0])) return 'keyword';
      if (stream.match(/^!?\(/, false)) return 'function';
      return 'variableName';
    }
    if (stream.match(/^(\?\?|\|\||&&|==|!=|<=|>=|=|\+|-|\*|\/|<|>|!|\?|\|)/)) return 'operator';
    stream.next();
    return null;
  },
  languageData: { commentTokens: { line: '#' } },
};

/** The VRL language for an editor's extensions. */
export const vrl = StreamLanguage.define(parser);
