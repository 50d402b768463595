import { describe, expect, it } from 'vitest';
import functionsJson from '../../api/fleet/vector/vrl-functions.json' with { type: 'json' };
import { lintVrl, MAX_VRL_ISSUES } from '../../api/fleet/vector/vrl.ts';

const messages = (program: string) => lintVrl(program).map((i) => i.message);

describe('lintVrl', () => {
  it('accepts ordinary programs: calls, closures, paths, literals, templates, comments', () => {
    const program = [
      '# parse the line',
      '. = parse_json!(.message) ?? {}',
      '.level = downcase(string(.level) ?? "info")',
      '.tags = map_values(.tags) -> |v| { upcase!(v) }',
      'if (exists(.a) && .b != null) { del(.c) } else { abort }',
      '.msg = "user {{ .user }} said \\"hi\\" \\{ not a template"',
      ".re = match(.x, r'^\\d+\\'$') # a raw regex with an escaped quote",
      '.raw = s\'{{ literal }}\' + "a # not a comment"',
      ".at = t'2021-01-01T00:00:00Z'",
      '.%meta.x = 1; .m = %meta.x',
      '."quoted field" = [1, {"k": (2)}]',
    ].join('\n');
    expect(lintVrl(program)).toEqual([]);
    // What the dashboard's routing overrides render (render.ts vrlString escapes `{`).
    expect(lintVrl('.index = "a\\{\\{b"\n.source = "x\\\\"\n')).toEqual([]);
  });

  it('refuses an empty program, comments and whitespace included', () => {
    for (const program of ['', '  \n\t', '# only a comment\n# and another']) {
      expect(lintVrl(program)).toEqual([{ line: 1, column: 1, message: 'the program is empty' }]);
    }
  });

  it('finds unclosed, stray and mismatched delimiters, with line and column', () => {
    expect(lintVrl('.a = (1 +\n  2')).toEqual([
      { line: 1, column: 6, message: 'line 1, column 6: unclosed `(`' },
    ]);
    expect(messages('.a = 1 }')).toEqual(['line 1, column 8: unexpected `}` with nothing open']);
    expect(messages('if true {\n  .a = [1, 2)\n}')).toEqual([
      'line 2, column 13: `)` does not close `[` opened at line 2, column 8',
    ]);
    // Brackets inside strings and comments do not count.
    expect(lintVrl('.a = "(" # )\n.b = s\'[\'')).toEqual([]);
  });

  it('finds unterminated strings, raw literals and templates', () => {
    expect(messages('.a = 1\n.b = "abc\n')).toEqual(['line 2, column 6: unterminated string literal `"`']);
    expect(messages(".a = s'abc")).toEqual(["line 1, column 6: unterminated literal `s'`"]);
    expect(messages(".a = r'\\d+\\'")).toEqual(["line 1, column 6: unterminated literal `r'`"]);
    expect(messages('.a = "x {{ .y "')).toEqual([
      'line 1, column 9: unclosed template `{{` (close it with `}}` or write `\\{`)',
    ]);
  });

  it('knows the function list (with and without `!`), not keywords, paths or variables', () => {
    expect(messages('.a = to_int!(.b)\n.c = parse_jsonn(.d)\n.e = my_func!(1)')).toEqual([
      'line 2, column 6: call to undefined function `parse_jsonn`',
      'line 3, column 6: call to undefined function `my_func`',
    ]);
    expect(lintVrl('if (true) { .a = 1 }\n.b.c = 2\nx = .y\nabort')).toEqual([]);
    // A name followed by whitespace then `(` is not a call in VRL's grammar; leave it to the compiler.
    expect(lintVrl('.a = foo (1)')).toEqual([]);
  });

  it('keeps a list of Vector 0.58 function names with its provenance', () => {
    expect(functionsJson.source).toMatch(/vectordotdev\/vrl src\/stdlib\/mod\.rs/);
    for (const name of ['parse_json', 'get_enrichment_table_record', 'get_secret', 'parse_groks', 'to_int']) {
      expect(functionsJson.functions).toContain(name);
    }
    expect(new Set(functionsJson.functions).size).toBe(functionsJson.functions.length);
  });

  it(`reports at most ${MAX_VRL_ISSUES} issues, in source order`, () => {
    const issues = lintVrl(')'.repeat(50) + '\n(');
    expect(issues).toHaveLength(MAX_VRL_ISSUES);
    expect(issues.map((i) => i.column)).toEqual([...Array(MAX_VRL_ISSUES).keys()].map((i) => i + 1));
  });
});
