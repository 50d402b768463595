import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkPipeline } from '../../api/fleet/vector/checks.ts';
import { defaultPlatforms } from '../../api/fleet/vector/components.ts';
import { renderGroupConfig, type RenderInput, type RenderOutput } from '../../api/fleet/vector/render.ts';

function input(name: string, extra: Partial<RenderInput> = {}): RenderInput {
  return {
    id: `in-${name}`,
    name,
    type: 'syslog',
    options: { mode: 'udp', address: '0.0.0.0:514' },
    platforms: ['linux', 'kubernetes'],
    enabled: true,
    indexOverride: null,
    sourcetypeOverride: null,
    sourceOverride: null,
    ...extra,
  };
}

function output(name: string, extra: Partial<RenderOutput> = {}): RenderOutput {
  return {
    id: `out-${name}`,
    name,
    type: 'console',
    options: { encoding: { codec: 'json' } },
    enabled: true,
    inputIds: [],
    ...extra,
  };
}

const sha256 = (text: string) =>
  `sha256:${createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex')}`;

/** Decodes a VRL string literal the way VRL's lexer does (template split on `{{`, then unescape). */
function decodeVrlLiteral(literal: string): string {
  expect(literal).toMatch(/^"(?:[^"\\]|\\.)*"$/s); // one literal, properly terminated
  const body = literal.slice(1, -1);
  expect(body).not.toContain('{{'); // no VRL template can open
  const escapes: Record<string, string> = {
    n: '\n',
    r: '\r',
    t: '\t',
    '"': '"',
    '\\': '\\',
    '{': '{',
    "'": "'",
  };
  return body.replace(/\\(.)/gs, (_, c: string) => escapes[c] ?? `\\${c}`);
}

describe('renderGroupConfig', () => {
  const group = {
    inputs: [
      input('syslog_in'),
      input('journal', { type: 'journald', options: {}, platforms: defaultPlatforms('journald') }),
      input('pods', { type: 'kubernetes_logs', options: {}, platforms: defaultPlatforms('kubernetes_logs') }),
      input('old', { enabled: false }),
    ],
    outputs: [output('stdout'), output('off', { enabled: false })],
  };

  it('lays out sources, transforms, sinks with sorted ids and type first', () => {
    const rendered = renderGroupConfig(
      {
        inputs: [...group.inputs, input('fw', { sourceOverride: 'prod-fw1', indexOverride: 'net' })],
        outputs: group.outputs,
      },
      'linux',
    );
    expect(rendered.yaml).toBe(
      [
        'sources:',
        '  fw:',
        '    type: syslog',
        '    mode: udp',
        '    address: 0.0.0.0:514',
        '  journal:',
        '    type: journald',
        '  syslog_in:',
        '    type: syslog',
        '    mode: udp',
        '    address: 0.0.0.0:514',
        'transforms:',
        '  fw_routing:',
        '    type: remap',
        '    inputs:',
        '      - fw',
        '    source: |',
        '      .index = "net"',
        '      .source = "prod-fw1"',
        'sinks:',
        '  stdout:',
        '    type: console',
        '    inputs:',
        '      - fw_routing',
        '      - journal',
        '      - syslog_in',
        '    encoding:',
        '      codec: json',
        '',
      ].join('\n'),
    );
    expect(rendered.empty).toBe(false);
    expect(checkPipeline(rendered.config)).toEqual([]);
  });

  it('renders byte-identical YAML whatever the order of inputs and outputs', () => {
    const a = renderGroupConfig(group, 'linux');
    const b = renderGroupConfig(
      { inputs: [...group.inputs].reverse(), outputs: [...group.outputs].reverse() },
      'linux',
    );
    expect(b.yaml).toBe(a.yaml);
    expect(b.etag).toBe(a.etag);
    const numeric = renderGroupConfig(
      { inputs: [input('2'), input('10'), input('b')], outputs: [output('o')] },
      'linux',
    );
    expect(Object.keys(parse(numeric.yaml).sources as object)).toEqual(['2', '10', 'b']); // parse reorders integer-like keys
    expect(numeric.yaml.indexOf('"10":')).toBeLessThan(numeric.yaml.indexOf('"2":'));
  });

  it('keeps only enabled inputs that run on the platform (journald linux, kubernetes_logs kubernetes)', () => {
    const linux = renderGroupConfig(group, 'linux').config;
    const kubernetes = renderGroupConfig(group, 'kubernetes').config;
    expect(Object.keys(linux.sources ?? {})).toEqual(['journal', 'syslog_in']);
    expect(Object.keys(kubernetes.sources ?? {})).toEqual(['pods', 'syslog_in']);
    expect(Object.keys(linux.sinks ?? {})).toEqual(['stdout']); // the disabled output is left out
  });

  it('renders exactly {} when no input runs on the platform', () => {
    const rendered = renderGroupConfig(
      { inputs: [group.inputs[1], group.inputs[3]], outputs: group.outputs },
      'kubernetes',
    );
    expect(rendered).toEqual({ yaml: '{}', etag: sha256('{}'), config: {}, empty: true });
  });

  it('routes overridden inputs through a remap and leaves plain inputs direct', () => {
    const inputs = [input('a', { indexOverride: 'main', sourcetypeOverride: 'nginx_access' }), input('b')];
    const { config } = renderGroupConfig({ inputs, outputs: [output('out')] }, 'linux');
    expect(config.transforms).toEqual({
      a_routing: { type: 'remap', inputs: ['a'], source: '.index = "main"\n.sourcetype = "nginx_access"\n' },
    });
    expect(config.sinks?.out.inputs).toEqual(['a_routing', 'b']);
  });

  it('narrows an output to its inputIds that are rendered, and omits an output left with none', () => {
    const inputs = [
      input('a'),
      input('b', { sourceOverride: 's' }),
      input('k', { platforms: ['kubernetes'] }),
    ];
    const outputs = [
      output('some', { inputIds: ['in-b', 'in-k', 'in-b', 'in-gone'] }),
      output('k_only', { inputIds: ['in-k'] }),
      output('all'),
    ];
    const { config } = renderGroupConfig({ inputs, outputs }, 'linux');
    expect(Object.keys(config.sinks ?? {})).toEqual(['all', 'some']);
    expect(config.sinks?.some.inputs).toEqual(['b_routing']);
    expect(config.sinks?.all.inputs).toEqual(['a', 'b_routing']);
  });

  it('keeps options in their given order and never lets them replace type or inputs', () => {
    const sink = output('out', {
      options: { target: 'stderr', type: 'blackhole', inputs: ['x'], encoding: { codec: 'text' } },
    });
    const { config } = renderGroupConfig({ inputs: [input('a')], outputs: [sink] }, 'linux');
    expect(config.sinks?.out).toEqual({
      type: 'console',
      inputs: ['a'],
      target: 'stderr',
      encoding: { codec: 'text' },
    });
    expect(Object.keys(config.sinks?.out ?? {})).toEqual(['type', 'inputs', 'target', 'encoding']);
  });

  it('quotes hostile override values as VRL string literals', () => {
    const hostile = {
      indexOverride: 'x"\n.secret = get_env_var!("AWS_SECRET_ACCESS_KEY")\n#',
      sourcetypeOverride: '{{ .message }} \\{{ x }} {{{ \\',
      sourceOverride: 'a\'b\\"c\r\t: #- [] & * ! | > % @ `',
    };
    const rendered = renderGroupConfig({ inputs: [input('a', hostile)], outputs: [output('out')] }, 'linux');
    const program = (parse(rendered.yaml) as { transforms: Record<string, { source: string }> }).transforms
      .a_routing.source;
    const lines = program.split('\n');
    expect(lines).toHaveLength(4); // three assignments and the final newline: nothing broke out
    expect(lines[3]).toBe('');
    const fields = lines.slice(0, 3).map((line) => /^\.(\w+) = (".*")$/s.exec(line));
    expect(fields.map((m) => m?.[1])).toEqual(['index', 'sourcetype', 'source']);
    expect(fields.map((m) => decodeVrlLiteral(m?.[2] ?? ''))).toEqual([
      hostile.indexOverride,
      hostile.sourcetypeOverride,
      hostile.sourceOverride,
    ]);
  });

  it('sets the etag to sha256 of the YAML bytes and serialises exactly config', () => {
    const withUnicode = {
      inputs: [input('a', { options: { mode: 'udp', address: 'ünï:514' }, indexOverride: 'ü' })],
      outputs: [output('o')],
    };
    const rendered = renderGroupConfig(withUnicode, 'linux');
    expect(rendered.etag).toBe(sha256(rendered.yaml));
    expect(rendered.etag).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(parse(rendered.yaml)).toEqual(rendered.config);
    const full = renderGroupConfig(group, 'kubernetes');
    expect(parse(full.yaml)).toEqual(full.config);
  });
});
