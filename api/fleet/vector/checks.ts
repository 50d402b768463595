/**
 * Checks of a rendered pipeline before it is published: the load-time rules `vector validate`
 * applies (components.json `configRules`) with Vector's own wording, the option schema of every
 * component (sources, transforms, sinks), the build checks Vector makes for transforms (VRL lint,
 * sample rates; transform-checks.ts), the graph (topology.ts) and Flotilla's reserved ids — so a
 * config that would make every agent fail validation is refused at the server instead.
 *
 * Not covered (they need the environment or more than the catalogue): the full VRL compile (done
 * by `vector validate` on the agent), two listeners on one address, data_dir checks, sink
 * healthchecks, env-var/secret interpolation, and other component-specific build checks (e.g.
 * loki's non-empty `labels`). Wildcards follow `wildcard_matching: strict` (Vector's default).
 */
import { getComponent, validateComponentOptions } from './components.ts';
import type { ComponentKind } from './catalogue-types.ts';
import type { FieldIssue } from '../errors.ts';
import type { ConfigProblem } from './problems.ts';
import { describeValue } from './option-values.ts';
import { checkTopology, type PipelineNode } from './topology.ts';
import { transformProblems } from './transform-checks.ts';
import type { VectorConfig } from './render.ts';
import { RESERVED_COMPONENT_ID_PREFIX } from '../../protocol/v1.ts';

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
        severity: 'error',
        component: id,
        message: `Component name "${id}" should not contain a "."`,
      });
    }
    if (id.startsWith(RESERVED_COMPONENT_ID_PREFIX)) {
      problems.push({
        rule: 'reserved-id',
        severity: 'error',
        component: id,
        message: `Component name "${id}" begins with "${RESERVED_COMPONENT_ID_PREFIX}", which is reserved for the agent's own components`,
      });
    }
  }
  for (const [id, kinds] of kindsById) {
    if (kinds.length > 1) {
      const message = `More than one component with name "${id}" (${kinds.join(', ')}).`;
      problems.push({ rule: 'duplicate-id', severity: 'error', component: id, message });
    }
  }
  return problems;
}

/** The dotted field of an option issue (`encoding.codec`, `include[0]`); undefined for the whole options map. */
function fieldOf(issue: FieldIssue): string | undefined {
  if (issue.path === 'type') return 'type';
  return issue.path.startsWith('options.') ? issue.path.slice('options.'.length) : undefined;
}

/** `sinks.out` plus the object holding the field, the way serde locates an error. */
function location(section: string, id: string, field: string | undefined): string {
  const inner = field === undefined || field === 'type' ? '' : field;
  const cut = Math.max(inner.lastIndexOf('.'), inner.lastIndexOf('['));
  return cut > 0 ? `${section}.${id}.${inner.slice(0, cut)}` : `${section}.${id}`;
}

/** `inputs` of a transform or sink must be a list of strings (serde's wording). */
function inputsProblems(node: PipelineNode, section: string): ConfigProblem[] {
  const inputs: unknown = node.component.inputs;
  if (node.kind === 'source' || inputs === undefined) return [];
  const bad = Array.isArray(inputs) ? inputs.find((input) => typeof input !== 'string') : inputs;
  if (Array.isArray(inputs) && bad === undefined) return [];
  const expected = Array.isArray(inputs) ? 'a string' : 'a sequence';
  const message = `invalid type: ${describeValue(bad)}, expected ${expected} in \`${section}.${node.id}.inputs\``;
  return [{ rule: 'invalid-options', severity: 'error', component: node.id, field: 'inputs', message }];
}

function componentProblems(node: PipelineNode): ConfigProblem[] {
  const { kind, id, component } = node;
  const section = `${kind}s`;
  if (typeof component.type !== 'string') {
    const message = `missing field \`type\` in \`${section}.${id}\``;
    return [{ rule: 'unknown-type', severity: 'error', component: id, field: 'type', message }];
  }
  // The options are the component minus `type` (and `inputs`, which sources do not take).
  const options: Record<string, unknown> = { ...component };
  delete options.type;
  if (kind !== 'source') delete options.inputs;
  const issues = validateComponentOptions(kind, component.type, options);
  const problems = inputsProblems(node, section);
  problems.push(
    ...issues.map((issue): ConfigProblem => {
      const field = fieldOf(issue);
      return {
        rule: issue.path === 'type' ? 'unknown-type' : 'invalid-options',
        severity: 'error',
        component: id,
        field,
        message: `${issue.message} in \`${location(section, id, field)}\``,
      };
    }),
  );
  return problems.length > 0 ? problems : transformProblems(node);
}

/**
 * Checks a rendered, non-empty pipeline (renderGroupConfig's `config` when `empty` is false)
 * before a config version is published. Returns [] when the config would load, otherwise one
 * problem per violation in a stable order: ids (duplicates, dots, the reserved
 * RESERVED_COMPONENT_ID_PREFIX), missing sources/sinks, each component's type and options, then
 * its build checks (VRL, sample; only once its options are valid), then the graph (inputs,
 * reserved route names, data types, cycles) and, as warnings, outputs nothing consumes. Each
 * problem names its component and field where it has them; publish only when
 * blockingProblems(problems) is empty. Never throws.
 *
 * Do not call it on the empty config `{}`: that body is valid for delivery and means "stop
 * Vector", whereas here it would report no-sources and no-sinks.
 */
export function checkPipeline(config: VectorConfig): ConfigProblem[] {
  const nodes = collectNodes(config);
  const problems = idProblems(nodes);
  if (!nodes.some((n) => n.kind === 'source')) {
    problems.push({ rule: 'no-sources', severity: 'error', message: 'No sources defined in the config.' });
  }
  if (!nodes.some((n) => n.kind === 'sink')) {
    problems.push({ rule: 'no-sinks', severity: 'error', message: 'No sinks defined in the config.' });
  }
  for (const node of nodes) problems.push(...componentProblems(node));
  problems.push(...checkTopology(nodes));
  return problems;
}
