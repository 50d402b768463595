/**
 * A pipeline document as a graph: components are nodes, `inputs` are edges (`<id>` or
 * `<id>.<output>` for named outputs such as `route.<name>` and `remap.dropped`), wired like Vector
 * wires them. Pure functions the graph editor calls: edges of a document, connecting and
 * disconnecting, removing a component with every reference to it, fresh ids, a left-to-right
 * layout, and the server's problems by component.
 */
import dagre from '@dagrejs/dagre';

export type ComponentKind = 'source' | 'transform' | 'sink';

/** One component of a pipeline document, as the editor holds it. */
export interface GraphComponent {
  id: string;
  kind: ComponentKind;
  type: string;
  options: Record<string, unknown>;
  inputs: string[];
  enabled: boolean;
  platforms: string[];
}

/** A problem the server found, on a component (and a field of it) or on the whole pipeline. */
export interface GraphProblem {
  component?: string | null;
  field?: string | null;
  message: string;
  severity: 'error' | 'warning';
}

/** One wire: `source` (and its named `output`, or null for the default one) feeds `target`. */
export interface GraphEdge {
  id: string;
  source: string;
  output: string | null;
  target: string;
}

/** Vector's output name for a route's events that match no route. */
export const UNMATCHED_OUTPUT = '_unmatched';

/**
 * The named outputs of a component (empty when it has only its default output): a `route`'s route
 * names and `_unmatched` (unless `reroute_unmatched` is off), a `remap`'s `dropped` when it
 * reroutes dropped events.
 */
export function namedOutputs(component: Pick<GraphComponent, 'type' | 'options'>): string[] {
  if (component.type === 'route') {
    const routes = component.options.route;
    const names = typeof routes === 'object' && routes !== null ? Object.keys(routes) : [];
    return component.options.reroute_unmatched === false ? names : [...names, UNMATCHED_OUTPUT];
  }
  if (component.type === 'remap' && component.options.reroute_dropped === true) return ['dropped'];
  return [];
}

/** The input reference for a component's output: `id` or `id.output`. */
export const inputReference = (source: string, output: string | null): string =>
  output ? `${source}.${output}` : source;

/** The edges of a document: every input that names an existing component (or one of its outputs). */
export function graphEdges(components: readonly GraphComponent[]): GraphEdge[] {
  const ids = new Set(components.map((c) => c.id));
  const edges: GraphEdge[] = [];
  for (const target of components) {
    for (const input of target.inputs) {
      const dot = input.indexOf('.');
      const source = dot === -1 ? input : input.slice(0, dot);
      if (!ids.has(source)) continue;
      const output = dot === -1 ? null : input.slice(dot + 1);
      edges.push({ id: `${input}->${target.id}`, source, output, target: target.id });
    }
  }
  return edges;
}

/**
 * The document with `target` reading `source` (its `output`, or the default one). Unchanged when
 * that would wire a component to itself, feed a source, or read from a sink, or the wire exists.
 */
export function connect(
  components: readonly GraphComponent[],
  source: string,
  output: string | null,
  target: string,
): GraphComponent[] {
  const from = components.find((c) => c.id === source);
  const to = components.find((c) => c.id === target);
  const reference = inputReference(source, output);
  if (!from || !to || source === target || to.kind === 'source' || from.kind === 'sink')
    return [...components];
  if (to.inputs.includes(reference)) return [...components];
  return components.map((c) => (c.id === target ? { ...c, inputs: [...c.inputs, reference] } : c));
}

/** The document without the wire `edge`. */
export function disconnect(components: readonly GraphComponent[], edge: GraphEdge): GraphComponent[] {
  const reference = inputReference(edge.source, edge.output);
  return components.map((c) =>
    c.id === edge.target ? { ...c, inputs: c.inputs.filter((i) => i !== reference) } : c,
  );
}

const refersTo = (input: string, id: string) => input === id || input.startsWith(`${id}.`);

/** The document without component `id` and without every input that read it. */
export function removeComponent(components: readonly GraphComponent[], id: string): GraphComponent[] {
  return components
    .filter((c) => c.id !== id)
    .map((c) =>
      c.inputs.some((i) => refersTo(i, id)) ? { ...c, inputs: c.inputs.filter((i) => !refersTo(i, id)) } : c,
    );
}

/** The document with component `from` renamed `to`, and every input that read it following along. */
export function renameComponent(
  components: readonly GraphComponent[],
  from: string,
  to: string,
): GraphComponent[] {
  const rename = (input: string) => (refersTo(input, from) ? to + input.slice(from.length) : input);
  return components.map((c) => ({ ...c, id: c.id === from ? to : c.id, inputs: c.inputs.map(rename) }));
}

/** An id for a new component of `type` that no component has yet: `remap`, `remap_2` … */
export function freshId(components: readonly GraphComponent[], type: string): string {
  const ids = new Set(components.map((c) => c.id));
  const base =
    type
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '_')
      .replace(/^[^a-z0-9]+/, '')
      .slice(0, 56) || 'component';
  if (!ids.has(base)) return base;
  let n = 2;
  while (ids.has(`${base}_${n}`)) n += 1;
  return `${base}_${n}`;
}

/** Size of a node on screen, for the layout (a node with named outputs grows: nodeHeight). */
export const NODE_SIZE = { width: 180, height: 64 };
/** Vertical room per named output handle, so wires (and their labels) leaving one node stay apart. */
const OUTPUT_SLOT = 40;
/** Font size of a wire's label (a named output such as `route.errors`), in px. */
export const EDGE_LABEL_FONT = 11;

/** Height of a component's node: room for every named output handle, at least NODE_SIZE.height. */
export function nodeHeight(component: Pick<GraphComponent, 'type' | 'options'>): number {
  return Math.max(NODE_SIZE.height, (namedOutputs(component).length + 1) * OUTPUT_SLOT);
}

/** Where named output `index` of `count` sits on the node's right edge (a CSS `top`). */
export const outputTop = (index: number, count: number): string => `${((index + 1) * 100) / (count + 1)}%`;

/**
 * Gap between columns: wide enough for the longest wire label (drawn midway along its wire) with
 * room on either side, so a label never sits on a node or its handle.
 */
export function rankGap(components: readonly GraphComponent[]): number {
  const longest = Math.max(0, ...graphEdges(components).map((e) => e.output?.length ?? 0));
  return longest === 0 ? 64 : Math.max(64, Math.ceil(longest * EDGE_LABEL_FONT * 0.62) + 56);
}

/**
 * Left-to-right positions (top-left corners) for every component: sources first, sinks last, wires
 * crossing as little as dagre can manage, columns apart by rankGap. Components without wires
 * still get a place.
 */
export function layoutPositions(
  components: readonly GraphComponent[],
): Record<string, { x: number; y: number }> {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'LR', nodesep: 36, ranksep: rankGap(components), marginx: 16, marginy: 16 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const c of components) graph.setNode(c.id, { width: NODE_SIZE.width, height: nodeHeight(c) });
  for (const edge of graphEdges(components)) graph.setEdge(edge.source, edge.target, {}, edge.id);
  dagre.layout(graph);
  const positions: Record<string, { x: number; y: number }> = {};
  for (const c of components) {
    const node = graph.node(c.id);
    positions[c.id] = { x: node.x - NODE_SIZE.width / 2, y: node.y - node.height / 2 };
  }
  return positions;
}

/** Problems per component id; problems of the whole pipeline under the empty string. */
export function problemsByComponent(problems: readonly GraphProblem[]): Map<string, GraphProblem[]> {
  const byId = new Map<string, GraphProblem[]>();
  for (const problem of problems) {
    const key = problem.component ?? '';
    byId.set(key, [...(byId.get(key) ?? []), problem]);
  }
  return byId;
}

/** A component's events per second now, summed over the group's online agents (Group.componentRates). */
export interface ComponentLiveRates {
  agents: number;
  eventsIn: number;
  eventsOut: number;
  errors: number;
  discarded: number;
}

/**
 * The label of a wire: its output's name, if any, and the events per second its source sends
 * out (all outputs of the source together: Vector counts them per component), when known.
 */
export function edgeLabel(
  edge: GraphEdge,
  rates: Readonly<Record<string, ComponentLiveRates>>,
): string | undefined {
  const rate = rates[edge.source];
  const text = rate ? `${formatEventRate(rate.eventsOut)}/s` : null;
  return [edge.output, text].filter((x): x is string => !!x).join(' · ') || undefined;
}

/** Events per second, short: `0`, `0.42`, `12.3`, `4.5k`, `1.2M`. */
export function formatEventRate(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  return v >= 1 || v === 0 ? v.toFixed(1).replace(/\.0$/, '') : String(Number(v.toPrecision(2)));
}
