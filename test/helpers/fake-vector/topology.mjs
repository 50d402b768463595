// Vector's topology checks, in the order of src/config/compiler.rs: component names, input glob
// expansion, shape (no sources/sinks, duplicate IDs, empty/duplicate inputs), reserved output names,
// input resolution (graph), data types, cycles; then the "no consumers" warnings.
import { componentSchema } from './catalogue.mjs';
import { globToRegExp, hasGlob } from './glob.mjs';

const ALL_TYPES = ['log', 'metric', 'trace'];
const TYPE_NAMES = { log: 'Log', metric: 'Metric', trace: 'Trace' };
const RESERVED_ROUTES = ['_unmatched', '_default'];

/**
 * Compiles a deserialized config's topology. Returns `{errors, warnings}` (warnings only when there are
 * no errors). `allowEmpty` is --allow-empty-config.
 */
export function checkTopology(config, { allowEmpty }) {
  const sources = nodes(config.sources, 'source');
  const transforms = nodes(config.transforms, 'transform');
  const sinks = nodes(config.sinks, 'sink');
  const outputs = [...sources, ...transforms].flatMap((node) => node.outputs);
  for (const node of [...transforms, ...sinks])
    node.inputs = expandGlobs(node.config.inputs ?? [], node.id, outputs);

  const errors = [
    ...[...transforms, ...sources, ...sinks]
      .filter((node) => node.id.includes('.'))
      .map((node) => `Component name "${node.id}" should not contain a "."`),
    ...shapeErrors(sources, transforms, sinks, allowEmpty),
    ...transforms.flatMap(reservedOutputErrors),
  ];
  const graphErrors = connect([...transforms, ...sinks], outputs, config.wildcard_matching === 'relaxed');
  if (graphErrors.length) return { errors: [...errors, ...graphErrors], warnings: [] };
  errors.push(...typeErrors([...transforms, ...sinks]));
  const cycle = cycleError(sinks);
  if (cycle) errors.push(cycle);
  if (errors.length) return { errors, warnings: [] };
  return { errors, warnings: consumerWarnings(transforms, sources, [...transforms, ...sinks]) };
}

function nodes(section, kind) {
  return Object.entries(section ?? {}).map(([id, config]) => {
    const schema = componentSchema(`${kind}s`, config.type);
    const node = { kind, id, config, accepts: schema.inputTypes, upstream: [] };
    node.outputs =
      kind === 'source' ? sourceOutputs(node, schema) : kind === 'transform' ? transformOutputs(node) : [];
    return node;
  });
}

// opentelemetry has only named outputs; datadog_agent only with `multiple_outputs: true`. A source
// decoding `native`/`native_json` can emit every data type.
function sourceOutputs(node, schema) {
  const { config } = node;
  const named = schema.output.namedOutputs;
  if (named && (config.type !== 'datadog_agent' || config.multiple_outputs === true)) {
    return named.map((port) => ({ id: `${node.id}.${port}`, node, types: [port.replace(/s$/, '')] }));
  }
  const types = ['native', 'native_json'].includes(config.decoding?.codec) ? ALL_TYPES : schema.output.types;
  return [{ id: node.id, node, types }];
}

// route: one output per route key plus `_unmatched` (no default output); remap: `dropped` with
// `reroute_dropped: true`. A transform's output types are taken to be the types it accepts.
function transformOutputs(node) {
  const { config, accepts: types } = node;
  const port = (name) => ({ id: `${node.id}.${name}`, node, types });
  if (config.type === 'route') {
    const routes = Object.keys(config.route ?? {});
    return [...routes, ...(config.reroute_unmatched === false ? [] : ['_unmatched'])].map(port);
  }
  return [
    { id: node.id, node, types },
    ...(config.type === 'remap' && config.reroute_dropped === true ? [port('dropped')] : []),
  ];
}

// Each input is matched as a glob against every output (never the component itself); an input that
// matches nothing is kept as written, so the graph reports it.
function expandGlobs(inputs, id, outputs) {
  return inputs.flatMap((input) => {
    const pattern = globToRegExp(input);
    const matched = outputs
      .map((output) => output.id)
      .filter((candidate) => candidate !== id && pattern.test(candidate));
    return matched.length ? [...new Set(matched)] : [input];
  });
}

function shapeErrors(sources, transforms, sinks, allowEmpty) {
  const errors = [];
  if (!allowEmpty && sources.length === 0) errors.push('No sources defined in the config.');
  if (!allowEmpty && sinks.length === 0) errors.push('No sinks defined in the config.');
  const kindsById = new Map();
  for (const node of [...sources, ...transforms, ...sinks])
    kindsById.set(node.id, [...(kindsById.get(node.id) ?? []), node.kind]);
  for (const [id, kinds] of kindsById) {
    if (kinds.length > 1) errors.push(`More than one component with name "${id}" (${kinds.join(', ')}).`);
  }
  for (const node of [...sinks, ...transforms]) {
    const label = `${node.kind[0].toUpperCase()}${node.kind.slice(1)} "${node.id}"`;
    if (node.inputs.length === 0) errors.push(`${label} has no inputs`);
    const counts = new Map();
    for (const input of node.inputs) counts.set(input, (counts.get(input) ?? 0) + 1);
    for (const [input, count] of counts) {
      if (count > 1) errors.push(`${label} has input "${input}" duplicated ${count} times`);
    }
  }
  return errors;
}

function reservedOutputErrors(node) {
  if (node.config.type !== 'route') return [];
  return RESERVED_ROUTES.filter((name) => Object.hasOwn(node.config.route ?? {}, name)).map(
    (name) => `Transform ${node.id} cannot have a named output with reserved name: \`${name}\``,
  );
}

// Resolves inputs into edges (node.upstream); under `wildcard_matching: relaxed` an unmatched glob is dropped.
function connect(consumers, outputs, relaxed) {
  const byId = new Map(outputs.map((output) => [output.id, output]));
  const errors = [];
  for (const node of consumers) {
    node.edges = [];
    for (const input of node.inputs) {
      const output = byId.get(input);
      if (output) {
        node.edges.push(output);
        node.upstream.push(output.node);
      } else if (!(relaxed && hasGlob(input))) {
        errors.push(`Input "${input}" for ${node.kind} "${node.id}" doesn't match any components.`);
      }
    }
  }
  return errors;
}

function typeList(types) {
  return `[${ALL_TYPES.filter((type) => types.includes(type))
    .map((type) => `"${TYPE_NAMES[type]}"`)
    .join(', ')}]`;
}

function typeErrors(consumers) {
  return consumers.flatMap((node) =>
    node.edges
      .filter((output) => !output.types.some((type) => node.accepts.includes(type)))
      .map(
        (output) =>
          `Data type mismatch between ${output.id} (${typeList(output.types)}) and ${node.id} (${typeList(node.accepts)})`,
      ),
  );
}

// A depth-first walk upstream from every sink, keeping the current chain, as Graph::check_for_cycles does.
function cycleError(sinks) {
  for (const sink of sinks) {
    const traversal = [sink];
    const visited = new Set();
    const stack = [];
    while (traversal.length) {
      const node = traversal.at(-1);
      if (!visited.has(node)) {
        visited.add(node);
        stack.push(node);
      } else {
        if (stack.includes(node)) stack.splice(stack.indexOf(node), 1);
        traversal.pop();
      }
      for (const input of node.upstream) {
        if (!visited.has(input)) traversal.push(input);
        else if (stack.includes(input)) {
          const chain = stack
            .slice(1)
            .reverse()
            .map((item) => item.id);
          return `Cyclic dependency detected in the chain [ ${[input.id, ...chain].join(' -> ')} ]`;
        }
      }
    }
  }
  return undefined;
}

function consumerWarnings(transforms, sources, consumers) {
  const consumed = new Set(consumers.flatMap((node) => node.inputs));
  return [...transforms, ...sources].flatMap((node) =>
    node.outputs
      .filter((output) => !consumed.has(output.id))
      .map((output) => `${node.kind === 'source' ? 'Source' : 'Transform'} "${output.id}" has no consumers`),
  );
}
