import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkPipeline } from '../../api/fleet/vector/checks.ts';
import { renderPipeline, type RenderComponent } from '../../api/fleet/vector/render.ts';

const BOTH = ['linux', 'kubernetes'] as const;

function source(id: string, extra: Partial<RenderComponent> = {}): RenderComponent {
  return {
    id,
    kind: 'source',
    type: 'syslog',
    options: { mode: 'udp', address: '0.0.0.0:514' },
    inputs: [],
    enabled: true,
    platforms: BOTH,
    ...extra,
  };
}
const transform = (id: string, inputs: string[], extra: Partial<RenderComponent> = {}): RenderComponent => ({
  id,
  kind: 'transform',
  type: 'filter',
  options: { condition: '.level == "error"' },
  inputs,
  enabled: true,
  platforms: BOTH,
  ...extra,
});
const sink = (id: string, inputs: string[], extra: Partial<RenderComponent> = {}): RenderComponent => ({
  id,
  kind: 'sink',
  type: 'console',
  options: { encoding: { codec: 'json' } },
  inputs,
  enabled: true,
  platforms: BOTH,
  ...extra,
});

const sha256 = (text: string) =>
  `sha256:${createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex')}`;

describe('renderPipeline', () => {
  const document = {
    components: [
      sink('out', ['errors', 'journal', 'pods']),
      transform('errors', ['syslog_in']),
      source('journal', { type: 'journald', options: {}, platforms: ['linux'] }),
      source('pods', { type: 'kubernetes_logs', options: {}, platforms: ['kubernetes'] }),
      source('syslog_in'),
    ],
  };

  it('lays out sources, transforms, sinks with sorted ids, type then sorted inputs then options', () => {
    const { yaml, config, empty } = renderPipeline(document, 'linux');
    expect(empty).toBe(false);
    expect(yaml).toBe(
      [
        'sources:',
        '  journal:',
        '    type: journald',
        '  syslog_in:',
        '    type: syslog',
        '    mode: udp',
        '    address: 0.0.0.0:514',
        'transforms:',
        '  errors:',
        '    type: filter',
        '    inputs:',
        '      - syslog_in',
        '    condition: .level == "error"',
        'sinks:',
        '  out:',
        '    type: console',
        '    inputs:',
        '      - errors',
        '      - journal',
        '    encoding:',
        '      codec: json',
        '',
      ].join('\n'),
    );
    expect(checkPipeline(config)).toEqual([]);
  });

  it('renders byte-identical YAML whatever the order of components and inputs', () => {
    const shuffled = {
      components: [...document.components].reverse().map((c) => ({ ...c, inputs: [...c.inputs].reverse() })),
    };
    expect(renderPipeline(shuffled, 'kubernetes').yaml).toBe(renderPipeline(document, 'kubernetes').yaml);
  });

  it('drops components off the platform or disabled, references to them, and consumers left with no input', () => {
    const chain = {
      components: [
        source('journal', { type: 'journald', options: {}, platforms: ['linux'] }),
        source('off', { enabled: false }),
        transform('only-journal', ['journal']),
        sink('after-chain', ['only-journal']),
        sink('mixed', ['journal', 'off', 'syslog_in']),
        source('syslog_in'),
      ],
    };
    const { config } = renderPipeline(chain, 'kubernetes');
    expect(Object.keys(config.sources ?? {})).toEqual(['syslog_in']);
    expect(config.transforms).toBeUndefined();
    expect(config.sinks).toEqual({ mixed: expect.objectContaining({ inputs: ['syslog_in'] }) });
  });

  it('keeps references the document cannot resolve (and consumers naming no input) for the checks', () => {
    const { config } = renderPipeline(
      { components: [source('a'), sink('s', ['a', 'ghost', 'route.errors']), sink('none', [])] },
      'linux',
    );
    expect(config.sinks?.s.inputs).toEqual(['a', 'ghost', 'route.errors']);
    expect(config.sinks?.none.inputs).toEqual([]);
    expect(checkPipeline(config).map((p) => p.rule)).toEqual(
      expect.arrayContaining(['unknown-input', 'no-inputs']),
    );
  });

  it('renders exactly {} when no source runs on the platform', () => {
    const rendered = renderPipeline(
      { components: [source('a', { platforms: ['linux'] }), sink('s', ['a'])] },
      'kubernetes',
    );
    expect(rendered).toEqual({ yaml: '{}', etag: sha256('{}'), config: {}, empty: true });
    expect(renderPipeline({ components: [] }, 'linux').yaml).toBe('{}');
  });

  it('never lets options replace type or inputs, and stores keys such as __proto__ as data', () => {
    const options = JSON.parse('{"__proto__": {"x": 1}, "type": "evil", "inputs": ["x"], "z": 1, "a": 2}');
    const { config, yaml } = renderPipeline(
      { components: [source('a'), sink('s', ['a'], { options })] },
      'linux',
    );
    expect(config.sinks?.s.type).toBe('console');
    expect(config.sinks?.s.inputs).toEqual(['a']);
    expect(Object.keys(config.sinks?.s ?? {})).toEqual(['type', 'inputs', '__proto__', 'z', 'a']);
    expect(parse(yaml)).toEqual(JSON.parse(JSON.stringify(config)));
  });

  it('sets the etag to sha256 of the YAML bytes', () => {
    const { yaml, etag } = renderPipeline(document, 'kubernetes');
    expect(etag).toBe(sha256(yaml));
  });
});
