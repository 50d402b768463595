/**
 * Group + platform → the Vector YAML delivered to agents (protocol: GET …/config) and shown as the
 * dashboard's YAML preview. Pure: no I/O, no clock, no randomness, so the same group always
 * renders byte-identical YAML and the same etag.
 *
 * Layout: `sources`, then `transforms`, then `sinks` (empty sections are left out); components in
 * each section sorted by id (code-unit order); inside a component `type`, then `inputs`, then the
 * operator's options in their stored order. No header comment: the bytes are the config only.
 */
import { createHash } from 'node:crypto';
import { Document, isMap } from 'yaml';
import { EMPTY_CONFIG, type Platform } from '../../protocol/v1.ts';

export interface RenderInput {
  id: string;
  name: string;
  type: string;
  options: Record<string, unknown>;
  platforms: Platform[];
  enabled: boolean;
  indexOverride: string | null;
  sourcetypeOverride: string | null;
  sourceOverride: string | null;
}

export interface RenderOutput {
  id: string;
  name: string;
  type: string;
  options: Record<string, unknown>;
  enabled: boolean;
  /** Input ids this output reads; empty = every enabled input. */
  inputIds: string[];
}

/** One component as serialised: `type`, `inputs` (transforms and sinks), then its options. */
export interface VectorComponent {
  type: string;
  inputs?: string[];
  [option: string]: unknown;
}

export interface VectorConfig {
  sources?: Record<string, VectorComponent>;
  transforms?: Record<string, VectorComponent>;
  sinks?: Record<string, VectorComponent>;
}

export interface RenderedPipeline {
  /** The body for agents; exactly `{}` (no newline) when empty. */
  yaml: string;
  /** `sha256:<hex>` of the UTF-8 bytes of `yaml`. */
  etag: string;
  /** The object that was serialised (`{}` when empty). */
  config: VectorConfig;
  /** True when no input runs on this platform: the agent stops Vector. */
  empty: boolean;
}

/** Suffix of the remap transform that applies an input's routing overrides. */
const ROUTING_SUFFIX = '_routing';
const SECTIONS = ['sources', 'transforms', 'sinks'] as const;

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byName = (a: { name: string }, b: { name: string }) => compare(a.name, b.name);

/** Sets an own enumerable property, even for keys such as `__proto__` that `=` would not store. */
function put<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function component(type: string, inputs: string[] | null, options: Record<string, unknown>): VectorComponent {
  const result: VectorComponent = inputs ? { type, inputs } : { type };
  for (const [key, value] of Object.entries(options)) {
    // `type` and `inputs` are the server's; validateComponentOptions rejects them at write time.
    if (key !== 'type' && key !== 'inputs') put(result, key, value);
  }
  return result;
}

const VRL_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '{': '\\{',
};

/**
 * A VRL string literal for an arbitrary value: backslash, double quote, newline, carriage return
 * and tab are escaped, and every `{` becomes `\{` so `{{ … }}` can never open a VRL template.
 * Other characters are legal inside a VRL literal as they are.
 */
function vrlString(value: string): string {
  return `"${value.replace(/[\\"\n\r\t{]/g, (c) => VRL_ESCAPES[c])}"`;
}

/** The remap program applying an input's routing overrides, or null when it has none. */
function routingProgram(input: RenderInput): string | null {
  const fields: [string, string | null][] = [
    ['index', input.indexOverride],
    ['sourcetype', input.sourcetypeOverride],
    ['source', input.sourceOverride],
  ];
  const lines = fields
    .filter(([, value]) => value !== null)
    .map(([field, value]) => `.${field} = ${vrlString(value as string)}`);
  return lines.length === 0 ? null : `${lines.join('\n')}\n`;
}

function serialise(config: VectorConfig): string {
  const doc = new Document(config, { aliasDuplicateObjects: false });
  for (const section of SECTIONS) {
    const map = doc.get(section);
    // Integer-like ids come first in JS objects; sort the YAML map so the bytes follow the names.
    if (isMap(map)) map.items.sort((a, b) => compare(String(a.key), String(b.key)));
  }
  return doc.toString({ lineWidth: 0 });
}

function pipeline(config: VectorConfig, yaml: string, empty: boolean): RenderedPipeline {
  return { yaml, etag: `sha256:${createHash('sha256').update(yaml, 'utf8').digest('hex')}`, config, empty };
}

/**
 * Renders a group's Vector config for one platform. Call it whenever a group's config version is
 * published or previewed; it never throws and does not validate — run checkPipeline (checks.ts) on
 * a non-empty result before publishing it.
 *
 * - Sources: enabled inputs whose `platforms` include `platform`, as `sources.<name>`.
 * - Routing: an input with any override gets `transforms.<name>_routing` (remap setting `.index`,
 *   `.sourcetype`, `.source`), and sinks read that transform instead of the source.
 * - Sinks: enabled outputs as `sinks.<name>`, reading every rendered input, or only the rendered
 *   ones among `inputIds` (sorted, de-duplicated); an output left with no input is omitted.
 * - No rendered input: `empty`, config `{}`, YAML exactly `{}`.
 */
export function renderGroupConfig(
  group: { inputs: RenderInput[]; outputs: RenderOutput[] },
  platform: Platform,
): RenderedPipeline {
  const inputs = group.inputs.filter((i) => i.enabled && i.platforms.includes(platform)).sort(byName);
  if (inputs.length === 0) return pipeline({}, EMPTY_CONFIG, true);

  const sources: Record<string, VectorComponent> = {};
  const transforms: Record<string, VectorComponent> = {};
  /** input id → the component id sinks read for it (the source, or its routing transform). */
  const readFrom = new Map<string, string>();
  for (const input of inputs) {
    put(sources, input.name, component(input.type, null, input.options));
    const program = routingProgram(input);
    if (program === null) {
      readFrom.set(input.id, input.name);
    } else {
      const id = `${input.name}${ROUTING_SUFFIX}`;
      put(transforms, id, { type: 'remap', inputs: [input.name], source: program });
      readFrom.set(input.id, id);
    }
  }

  const sinks: Record<string, VectorComponent> = {};
  for (const output of group.outputs.filter((o) => o.enabled).sort(byName)) {
    const ids =
      output.inputIds.length === 0
        ? [...readFrom.values()]
        : output.inputIds.flatMap((id) => readFrom.get(id) ?? []);
    if (ids.length > 0)
      put(sinks, output.name, component(output.type, [...new Set(ids)].sort(compare), output.options));
  }

  const config: VectorConfig = { sources };
  if (Object.keys(transforms).length > 0) config.transforms = transforms;
  if (Object.keys(sinks).length > 0) config.sinks = sinks;
  return pipeline(config, serialise(config), false);
}
