/**
 * Static validation of a rendered pipeline before it is published: the load-time rules
 * `vector validate` applies (components.json `configRules`), with Vector's own wording, so a config
 * that would make every agent fail validation is refused at the server instead.
 *
 * Not covered (they need the environment or more than the catalogue): VRL compilation, two
 * listeners on one address, data_dir checks, sink healthchecks, env-var/secret interpolation, and
 * component-specific build checks (e.g. loki's non-empty `labels`). Wildcards follow
 * `wildcard_matching: strict` (Vector's default).
 */
import { checkRequiredOptions, getComponent, validateComponentOptions } from './components.ts';
import type { ComponentKind } from './catalogue-types.ts';
import type { FieldIssue } from '../errors.ts';
import type { ConfigProblem } from './problems.ts';
import { checkTopology, type PipelineNode } from './topology.ts';
import type { VectorConfig } from './render.ts';

const SECTIONS: [ComponentKind, keyof VectorConfig][] = [
  ['source', 'sources'],
  ['transform', 'transforms'],
  ['sink', 'sinks'],
];

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function collectNodes(config: VectorConfig): PipelineNode[] {
  return SECTIONS.flatMap(([kind, section]) => {
    const components = config[section] ?? {};
    return Object.keys(components)
      .sort(compare)
      .map((id) => {
        const component = components[id];
        const spec = typeof component.type === 'string' ? getComponent(kind, component.type) : undefined;
        return { kind, id, component, spec };
      });
  });
}

function idProblems(nodes: PipelineNode[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const kindsById = new Map<string, ComponentKind[]>();
  for (const { id, kind } of nodes) {
    kindsById.set(id, [...(kindsById.get(id) ?? []), kind]);
    if (id.includes('.')) {
      problems.push({
        rule: 'id-contains-dot',
        component: id,
        message: `Component name "${id}" should not contain a "."`,
      });
    }
  }
  for (const [id, kinds] of kindsById) {
    if (kinds.length > 1) {
      const message = `More than one component with name "${id}" (${kinds.join(', ')}).`;
      problems.push({ rule: 'duplicate-id', component: id, message });
    }
  }
  return problems;
}

/** `sinks.out` plus the object holding the field, the way serde locates an error. */
function location(section: string, id: string, issue: FieldIssue): string {
  const field = issue.path.startsWith('options.') ? issue.path.slice('options.'.length) : '';
  const cut = Math.max(field.lastIndexOf('.'), field.lastIndexOf('['));
  return cut > 0 ? `${section}.${id}.${field.slice(0, cut)}` : `${section}.${id}`;
}

function componentProblems(node: PipelineNode): ConfigProblem[] {
  const { kind, id, component } = node;
  const section = `${kind}s`;
  if (typeof component.type !== 'string') {
    return [
      { rule: 'unknown-type', component: id, message: `missing field \`type\` in \`${section}.${id}\`` },
    ];
  }
  // The options are the component minus `type` (and `inputs`, which sources do not take).
  const options: Record<string, unknown> = { ...component };
  delete options.type;
  if (kind !== 'source') delete options.inputs;
  const issues =
    kind === 'transform'
      ? checkRequiredOptions(kind, component.type, options)
      : validateComponentOptions(kind, component.type, options);
  return issues.map((issue) => ({
    rule: issue.path === 'type' ? 'unknown-type' : 'invalid-options',
    component: id,
    message: `${issue.message} in \`${location(section, id, issue)}\``,
  }));
}

/**
 * Checks a rendered, non-empty pipeline (renderGroupConfig's `config` when `empty` is false) with
 * the static rules of `vector validate`; call it before publishing a config version. Returns []
 * when the config would load, otherwise one problem per violation in a stable order: ids, missing
 * sources/sinks, each component's type and options (sources and sinks fully, transforms for
 * required options), then inputs, data types and cycles. Never throws.
 *
 * Do not call it on the empty config `{}`: that body is valid for delivery and means "stop
 * Vector", whereas here it would report no-sources and no-sinks.
 */
export function checkPipeline(config: VectorConfig): ConfigProblem[] {
  const nodes = collectNodes(config);
  const problems = idProblems(nodes);
  if (!nodes.some((n) => n.kind === 'source')) {
    problems.push({ rule: 'no-sources', message: 'No sources defined in the config.' });
  }
  if (!nodes.some((n) => n.kind === 'sink')) {
    problems.push({ rule: 'no-sinks', message: 'No sinks defined in the config.' });
  }
  for (const node of nodes) problems.push(...componentProblems(node));
  problems.push(...checkTopology(nodes));
  return problems;
}
