/**
 * The graph half of checkPipeline: which outputs each source and transform exposes, how `inputs`
 * resolve to them (exact ids, `<id>.<output>`, glob wildcards), and the rules Vector's graph
 * builder applies — inputs present and not duplicated, route keys not reserved, every input
 * matching a component, data types compatible on every edge, no cycles — plus Vector's "has no
 * consumers" warnings. Messages are Vector's (configRules.inputs.errors, configRules.warningsOnly).
 */
import { isPlainObject } from './conditions.ts';
import type { ComponentKind, ComponentSpec, DataType } from './catalogue-types.ts';
import type { ConfigProblem } from './problems.ts';
import type { VectorComponent } from './render.ts';

/** One component of the config, with its catalogue entry when the type is known. */
export interface PipelineNode {
  kind: ComponentKind;
  id: string;
  component: VectorComponent;
  spec: ComponentSpec | undefined;
}

/** An output a consumer can name: `id` for the default output, `id.name` for a named one. */
interface Port {
  id: string;
  node: PipelineNode;
  /** Fixed types (sources), or null to derive from the node's inputs (transforms). */
  fixed: DataType[] | null;
  /** The option that creates a named output (`route.errors`, `reroute_dropped`), for messages. */
  field?: string;
}

/** Route keys Vector refuses (configRules.componentIds.reservedOutputNames). */
const RESERVED_ROUTE_NAMES = ['_unmatched', '_default'];
const NAMED_OUTPUT_TYPES: Record<string, DataType> = { logs: 'log', metrics: 'metric', traces: 'trace' };
const TYPE_NAMES: Record<DataType, string> = { log: 'Log', metric: 'Metric', trace: 'Trace' };

const capitalise = (kind: ComponentKind) => kind[0].toUpperCase() + kind.slice(1);
const formatTypes = (types: readonly DataType[]) => `[${types.map((t) => `"${TYPE_NAMES[t]}"`).join(', ')}]`;

/**
 * The outputs of a source or transform, from the catalogue's `namedOutputs` and the options that
 * switch them on: opentelemetry has only named outputs; datadog_agent too when `multiple_outputs`;
 * remap adds `dropped` with `reroute_dropped`; route has one output per `route` key plus
 * `_unmatched` unless `reroute_unmatched: false`, and no default output.
 */
function portsOf(node: PipelineNode): Port[] {
  const c = node.component;
  const named = (names: string[], typed: boolean, field?: (name: string) => string): Port[] =>
    names.map((name) => ({
      id: `${node.id}.${name}`,
      node,
      fixed: typed ? [NAMED_OUTPUT_TYPES[name]] : null,
      field: field?.(name),
    }));
  const defaultPort: Port = {
    id: node.id,
    node,
    fixed: node.kind === 'source' ? (node.spec?.outputTypes ?? null) : null,
  };
  switch (`${node.kind}:${typeof c.type === 'string' ? c.type : ''}`) {
    case 'source:opentelemetry':
      return named(node.spec?.namedOutputs ?? [], true);
    case 'source:datadog_agent':
      return c.multiple_outputs === true ? named(node.spec?.namedOutputs ?? [], true) : [defaultPort];
    case 'transform:remap':
      return c.reroute_dropped === true
        ? [defaultPort, ...named(['dropped'], false, () => 'reroute_dropped')]
        : [defaultPort];
    case 'transform:route': {
      const routes = isPlainObject(c.route) ? Object.keys(c.route) : [];
      const names = c.reroute_unmatched === false ? routes : [...routes, '_unmatched'];
      return named(names, false, (name) => (name === '_unmatched' ? 'reroute_unmatched' : `route.${name}`));
    }
    default:
      return [defaultPort];
  }
}

/** A RegExp for a glob input (`*`, `?`, `[…]`, `[!…]`), or null for a plain id or an invalid pattern. */
function globRegExp(pattern: string): RegExp | null {
  if (!/[*?[]/.test(pattern)) return null;
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const ch = pattern[i];
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else if (ch !== '[') source += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
    else {
      const negated = pattern[i + 1] === '!';
      const first = i + (negated ? 2 : 1);
      const end = pattern.indexOf(']', first + 1); // a `]` right after `[` is literal
      if (end === -1) return null; // Vector then treats the input as a plain id
      const members = [...pattern.slice(first, end)].map((m) =>
        m === '-' ? m : m.replace(/[\\\]^[]/, '\\$&'),
      );
      source += `[${negated ? '^' : ''}${members.join('')}]`;
      i = end;
    }
  }
  try {
    return new RegExp(`^${source}$`, 's');
  } catch {
    return null; // a range out of order (`[z-a]`): no output can match it, so it stays a plain id
  }
}

class Topology {
  readonly problems: ConfigProblem[] = [];
  private readonly ports = new Map<string, Port>();
  /** consumer → the ports it reads (resolved inputs only). */
  private readonly edges = new Map<PipelineNode, Port[]>();
  private readonly derived = new Map<PipelineNode, DataType[] | null>();

  constructor(private readonly nodes: PipelineNode[]) {
    for (const node of nodes)
      if (node.kind !== 'sink') for (const port of portsOf(node)) this.ports.set(port.id, port);
  }

  /** Expands wildcards: a pattern matching some outputs (never the consumer's own) becomes them. */
  private expand(consumer: PipelineNode, inputs: string[]): string[] {
    return inputs.flatMap((input) => {
      const re = globRegExp(input);
      const matches = re
        ? [...this.ports.values()].filter((p) => p.node.id !== consumer.id && re.test(p.id))
        : [];
      return matches.length > 0 ? matches.map((p) => p.id) : [input];
    });
  }

  private atInputs(node: PipelineNode) {
    return { severity: 'error' as const, component: node.id, field: 'inputs' };
  }

  /** Route keys `_unmatched` and `_default` would shadow Vector's own outputs. */
  checkReservedOutputs(): void {
    for (const node of this.nodes) {
      if (
        node.kind !== 'transform' ||
        node.component.type !== 'route' ||
        !isPlainObject(node.component.route)
      )
        continue;
      for (const name of RESERVED_ROUTE_NAMES.filter((n) =>
        Object.hasOwn(node.component.route as object, n),
      )) {
        this.problems.push({
          rule: 'reserved-output',
          severity: 'error',
          component: node.id,
          field: `route.${name}`,
          message: `Transform ${node.id} cannot have a named output with reserved name: \`${name}\``,
        });
      }
    }
  }

  /** Warnings, as Vector's: one per source or transform output that no input resolves to. */
  checkConsumers(): void {
    const consumed = new Set([...this.edges.values()].flat());
    for (const port of this.ports.values()) {
      if (consumed.has(port)) continue;
      const label = port.node.kind === 'source' ? 'Source' : 'Transform';
      this.problems.push({
        rule: 'no-consumers',
        severity: 'warning',
        component: port.node.id,
        field: port.field,
        message: `${label} "${port.id}" has no consumers`,
      });
    }
  }

  resolveInputs(): void {
    for (const node of this.nodes) {
      if (node.kind === 'source') continue;
      // Inputs that are not a list of strings are reported by checks.ts (inputsProblems).
      const given: unknown[] = Array.isArray(node.component.inputs) ? node.component.inputs : [];
      const raw = given.filter((input): input is string => typeof input === 'string');
      const label = capitalise(node.kind);
      if (raw.length === 0) {
        this.problems.push({
          rule: 'no-inputs',
          severity: 'error',
          component: node.id,
          field: 'inputs',
          message: `${label} "${node.id}" has no inputs`,
        });
      }
      const inputs = this.expand(node, raw);
      const counts = new Map<string, number>();
      for (const input of inputs) counts.set(input, (counts.get(input) ?? 0) + 1);
      const resolved: Port[] = [];
      for (const [input, count] of counts) {
        if (count > 1) {
          const message = `${label} "${node.id}" has input "${input}" duplicated ${count} times`;
          this.problems.push({ rule: 'duplicate-input', ...this.atInputs(node), message });
        }
        const port = this.ports.get(input);
        if (port) resolved.push(port);
        else {
          const message = `Input "${input}" for ${node.kind} "${node.id}" doesn't match any components.`;
          this.problems.push({ rule: 'unknown-input', ...this.atInputs(node), message });
        }
      }
      this.edges.set(node, resolved);
    }
  }

  /** Types flowing out of a port: fixed for sources; for transforms accepted ∩ what flows in. */
  private typesOf(port: Port, visiting = new Set<PipelineNode>()): DataType[] | null {
    if (port.node.kind === 'source') return port.fixed;
    const node = port.node;
    if (this.derived.has(node)) return this.derived.get(node) ?? null;
    if (visiting.has(node)) return null; // on a cycle: reported by checkCycles
    visiting.add(node);
    const upstream = (this.edges.get(node) ?? []).map((p) => this.typesOf(p, visiting));
    visiting.delete(node);
    const accepted = node.spec?.inputTypes;
    let result: DataType[] | null = null;
    if (accepted && upstream.length > 0 && upstream.every((t) => t !== null)) {
      const flowing = new Set(upstream.flat());
      const out = accepted.filter((t) => flowing.has(t));
      result = out.length > 0 ? out : null; // empty: the mismatch is reported on the incoming edge
    }
    this.derived.set(node, result);
    return result;
  }

  checkDataTypes(): void {
    for (const [consumer, ports] of this.edges) {
      const accepted = consumer.spec?.inputTypes;
      if (!accepted) continue;
      for (const port of ports) {
        const types = this.typesOf(port);
        if (types && !types.some((t) => accepted.includes(t))) {
          const message = `Data type mismatch between ${port.id} (${formatTypes(types)}) and ${consumer.id} (${formatTypes(accepted)})`;
          this.problems.push({ rule: 'type-mismatch', ...this.atInputs(consumer), message });
        }
      }
    }
  }

  /** Reports the first cycle found (as Vector does), walking upstream from transforms in id order. */
  checkCycles(): void {
    const done = new Set<PipelineNode>();
    const visit = (node: PipelineNode, path: PipelineNode[]): PipelineNode[] | null => {
      const at = path.indexOf(node);
      if (at !== -1) return [...path.slice(at), node];
      if (done.has(node)) return null;
      for (const port of this.edges.get(node) ?? []) {
        if (port.node.kind !== 'transform') continue;
        const cycle = visit(port.node, [...path, node]);
        if (cycle) return cycle;
      }
      done.add(node);
      return null;
    };
    for (const node of this.nodes) {
      if (node.kind !== 'transform') continue;
      const cycle = visit(node, []);
      if (cycle) {
        const chain = cycle
          .reverse()
          .map((n) => n.id)
          .join(' -> '); // in the direction events flow
        this.problems.push({
          rule: 'cycle',
          ...this.atInputs(cycle[0]),
          message: `Cyclic dependency detected in the chain [ ${chain} ]`,
        });
        return;
      }
    }
  }
}

/**
 * Runs the graph rules over the components of a config (sources, transforms, sinks in a stable
 * order) and returns the problems in rule order: reserved-output, inputs (no-inputs,
 * duplicate-input, unknown-input), type-mismatch, cycle, then the no-consumers warnings. Unknown
 * component types make their data types unknown, which skips the type rule for their edges.
 * Never throws.
 */
export function checkTopology(nodes: PipelineNode[]): ConfigProblem[] {
  const topology = new Topology(nodes);
  topology.checkReservedOutputs();
  topology.resolveInputs();
  topology.checkDataTypes();
  topology.checkCycles();
  topology.checkConsumers();
  return topology.problems;
}
