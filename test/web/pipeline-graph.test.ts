/**
 * The pipeline editor's graph logic: edges from `inputs` (named outputs of route and remap),
 * connecting and disconnecting, removing and renaming components with their references, fresh ids,
 * the left-to-right layout, the server's problems on components, fields and VRL lines, and version
 * diffs shown unified or side by side.
 */
import { describe, expect, it } from 'vitest';
import {
  edgeLabel,
  formatEventRate,
  connect,
  disconnect,
  freshId,
  graphEdges,
  layoutPositions,
  EDGE_LABEL_FONT,
  NODE_SIZE,
  nodeHeight,
  outputTop,
  rankGap,
  namedOutputs,
  problemsByComponent,
  removeComponent,
  renameComponent,
  type GraphComponent,
  type GraphProblem,
} from '../../web/src/lib/pipeline-graph.ts';
import { componentFieldErrors, problemCounts } from '../../web/src/lib/pipeline-problems.ts';
import { offsetOf, vrlDiagnostics } from '../../web/src/lib/vrl-problems.ts';
import { diffStat, parseUnifiedDiff, sideBySide } from '../../web/src/lib/unified-diff.ts';

const part = (
  id: string,
  kind: GraphComponent['kind'],
  type: string,
  inputs: string[] = [],
  options: Record<string, unknown> = {},
): GraphComponent => ({ id, kind, type, options, inputs, enabled: true, platforms: ['linux'] });

const pipeline = [
  part('app', 'source', 'file', [], { include: ['/var/log/app.log'] }),
  part('parse', 'transform', 'remap', ['app'], { source: '. = parse_json!(.message)' }),
  part('split', 'transform', 'route', ['parse'], { route: { errors: '.level == "error"' } }),
  part('alerts', 'sink', 'console', ['split.errors']),
  part('archive', 'sink', 'console', ['split._unmatched', 'missing']),
];

describe('pipeline graph', () => {
  it('names the outputs of route and remap like Vector', () => {
    expect(namedOutputs(pipeline[2])).toEqual(['errors', '_unmatched']);
    expect(namedOutputs({ type: 'route', options: { route: { a: 'x' }, reroute_unmatched: false } })).toEqual(
      ['a'],
    );
    expect(namedOutputs({ type: 'remap', options: { reroute_dropped: true } })).toEqual(['dropped']);
    expect(namedOutputs(pipeline[1])).toEqual([]);
  });

  it('draws an edge per input that names a component, with its named output', () => {
    expect(graphEdges(pipeline).map((e) => [e.source, e.output, e.target])).toEqual([
      ['app', null, 'parse'],
      ['parse', null, 'split'],
      ['split', 'errors', 'alerts'],
      ['split', '_unmatched', 'archive'],
    ]);
  });

  it('connects outputs to inputs once, never into a source or out of a sink', () => {
    const wired = connect(pipeline, 'parse', null, 'archive');
    expect(wired.find((c) => c.id === 'archive')?.inputs).toEqual(['split._unmatched', 'missing', 'parse']);
    expect(connect(wired, 'parse', null, 'archive')).toEqual(wired);
    expect(connect(pipeline, 'parse', null, 'app')).toEqual(pipeline);
    expect(connect(pipeline, 'alerts', null, 'archive')).toEqual(pipeline);
    expect(connect(pipeline, 'parse', null, 'parse')).toEqual(pipeline);
    const edge = graphEdges(pipeline).find((e) => e.target === 'alerts');
    if (!edge) throw new Error('no edge into alerts');
    expect(disconnect(pipeline, edge).find((c) => c.id === 'alerts')?.inputs).toEqual([]);
  });

  it('removes a component with every input that read it, and renames references along', () => {
    const removed = removeComponent(pipeline, 'split');
    expect(removed.map((c) => c.id)).toEqual(['app', 'parse', 'alerts', 'archive']);
    expect(removed.find((c) => c.id === 'archive')?.inputs).toEqual(['missing']);
    const renamed = renameComponent(pipeline, 'split', 'by_level');
    expect(renamed.find((c) => c.id === 'alerts')?.inputs).toEqual(['by_level.errors']);
    expect(renamed.find((c) => c.id === 'by_level')?.inputs).toEqual(['parse']);
    expect(renameComponent(pipeline, 'app', 'application')[1].inputs).toEqual(['application']);
  });

  it('gives new components ids no component has', () => {
    expect(freshId(pipeline, 'remap')).toBe('remap');
    expect(freshId([...pipeline, part('remap', 'transform', 'remap')], 'remap')).toBe('remap_2');
    expect(freshId(pipeline, 'app')).toBe('app_2');
    expect(freshId(pipeline, 'Datadog Agent')).toBe('datadog_agent');
  });

  it('lays out sources left of transforms left of sinks', () => {
    const at = layoutPositions(pipeline);
    expect(at.app.x).toBeLessThan(at.parse.x);
    expect(at.parse.x).toBeLessThan(at.split.x);
    expect(at.split.x).toBeLessThan(at.alerts.x);
    expect(at.alerts.y).not.toBe(at.archive.y);
    expect(Object.keys(layoutPositions([part('lonely', 'source', 'file')]))).toEqual(['lonely']);
  });

  it('leaves room for wire labels: columns wider than the longest label, outputs apart', () => {
    const plain = pipeline.slice(0, 2);
    expect(rankGap(plain)).toBe(64);
    // `_unmatched` at 11 px needs about 68 px, and room on either side of it.
    expect(rankGap(pipeline)).toBeGreaterThanOrEqual(68 + 48);
    const at = layoutPositions(pipeline);
    expect(at.alerts.x - (at.split.x + NODE_SIZE.width)).toBe(rankGap(pipeline));
    expect(nodeHeight(pipeline[2])).toBeGreaterThanOrEqual(3 * 40);
    expect(nodeHeight(pipeline[0])).toBe(NODE_SIZE.height);
    // Two labelled wires into one sink: their midpoints are half the handles' distance apart.
    const both = [
      ...pipeline.slice(0, 3),
      part('all', 'sink', 'console', ['split.errors', 'split._unmatched']),
    ];
    const [first, second] = [0, 1].map((i) => (parseFloat(outputTop(i, 2)) / 100) * nodeHeight(both[2]));
    expect((second - first) / 2).toBeGreaterThanOrEqual(EDGE_LABEL_FONT + 6);
    expect(Object.keys(layoutPositions(both))).toHaveLength(4);
  });
});

describe('server problems in the editor', () => {
  const problems: GraphProblem[] = [
    { message: 'No sinks defined in the config.', severity: 'error' },
    {
      component: 'parse',
      field: 'source',
      severity: 'error',
      message:
        'line 2, column 5: unknown function `parse_jsn` in `transforms.parse.source`; the server checks only strings, brackets and function names; the full VRL compile happens in `vector validate` on the agent',
    },
    {
      component: 'parse',
      field: 'options.source',
      severity: 'error',
      message: 'the program is empty in `x`',
    },
    { component: 'alerts', field: 'encoding.codec', severity: 'error', message: 'missing field `codec`' },
    { component: 'alerts', field: 'inputs', severity: 'error', message: 'Input "missing" does not exist.' },
    { component: 'archive', severity: 'warning', message: 'archive has no consumers' },
  ];

  it('groups problems by component, the pipeline’s own under the empty id', () => {
    const byId = problemsByComponent(problems);
    expect(byId.get('')?.length).toBe(1);
    expect(byId.get('parse')?.length).toBe(2);
    expect(problemCounts(problems)).toEqual({ errors: 5, warnings: 1 });
  });

  it('puts field problems on their form fields in plain language', () => {
    expect(componentFieldErrors(problems, 'alerts')).toEqual({
      'options.encoding.codec': 'Required.',
      inputs: 'Input "missing" does not exist.',
    });
    expect(componentFieldErrors(problems, 'archive')).toEqual({});
  });

  it('turns VRL problems into diagnostics at their line and column', () => {
    expect(vrlDiagnostics(problems, 'parse', 'source')).toEqual([
      { line: 2, column: 5, message: 'unknown function `parse_jsn`', severity: 'error' },
      { line: 1, column: 1, message: 'the program is empty', severity: 'error' },
    ]);
    const text = 'a = 1\n  b = parse_jsn(x)\n';
    expect(text.slice(offsetOf(text, 2, 5))).toMatch(/^= parse_jsn/);
    expect(offsetOf(text, 9, 99)).toBe(text.length);
  });
});

describe('version diffs', () => {
  const patch = [
    'Index: linux',
    '===================================================================',
    '--- linux\tversion 3',
    '+++ linux\tversion 4',
    '@@ -1,4 +1,4 @@',
    ' sources:',
    '-  app:',
    '+  application:',
    '+    type: file',
    '     include: []',
    '\\ No newline at end of file',
  ].join('\n');

  it('numbers the lines of a unified diff and counts what changed', () => {
    const rows = parseUnifiedDiff(patch);
    expect(rows.map((r) => [r.kind, r.oldLine, r.newLine, r.text])).toEqual([
      ['hunk', null, null, '@@ -1,4 +1,4 @@'],
      ['context', 1, 1, 'sources:'],
      ['removed', 2, null, '  app:'],
      ['added', null, 2, '  application:'],
      ['added', null, 3, '    type: file'],
      ['context', 3, 4, '    include: []'],
    ]);
    expect(diffStat(rows)).toEqual({ added: 2, removed: 1 });
  });

  it('pairs removed and added lines side by side', () => {
    const pairs = sideBySide(parseUnifiedDiff(patch));
    expect(pairs.map((p) => [p.kind, p.left?.text ?? null, p.right?.text ?? null])).toEqual([
      ['hunk', null, null],
      ['context', 'sources:', 'sources:'],
      ['changed', '  app:', '  application:'],
      ['changed', null, '    type: file'],
      ['context', '    include: []', '    include: []'],
    ]);
  });
});

describe('live rates on the graph', () => {
  it('labels a wire with its output and what its source sends per second', () => {
    const rates = { parse: { agents: 2, eventsIn: 12_345, eventsOut: 0.4213, errors: 0, discarded: 0 } };
    expect(edgeLabel({ id: 'e', source: 'parse', target: 'out', output: 'errors' }, rates)).toBe(
      'errors · 0.42/s',
    );
    expect(edgeLabel({ id: 'e', source: 'gone', target: 'out', output: null }, rates)).toBeUndefined();
    expect([0, 3, 20.04, 12_345, 2_500_000].map(formatEventRate)).toEqual(['0', '3', '20', '12.3k', '2.5M']);
  });
});
