/**
 * Pipeline document + platform → the Vector YAML delivered to agents (protocol: GET …/config) and
 * shown as previews. Pure: no I/O, no clock, no randomness, so the same document always renders
 * byte-identical YAML and the same etag.
 *
 * Layout: `sources`, then `transforms`, then `sinks` (empty sections are left out); components in
 * each section sorted by id (code-unit order); inside a component `type`, then `inputs` (sorted,
 * without duplicates), then the operator's options in their stored order. No header comment: the
 * bytes are the config only.
 */
import { createHash } from 'node:crypto';
import { Document, isMap } from 'yaml';
import { EMPTY_CONFIG, type Platform } from '../../protocol/v1.ts';
import type { ComponentKind } from './catalogue-types.ts';

/** What the renderer reads of a document component (pipeline/document.ts PipelineComponent). */
export interface RenderComponent {
  id: string;
  kind: ComponentKind;
  type: string;
  options: Record<string, unknown>;
  inputs: string[];
  enabled: boolean;
  platforms: readonly Platform[];
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
  /** True when no source runs on this platform: the agent stops Vector. */
  empty: boolean;
}

const SECTIONS = ['sources', 'transforms', 'sinks'] as const;
const SECTION_OF: Record<ComponentKind, (typeof SECTIONS)[number]> = {
  source: 'sources',
  transform: 'transforms',
  sink: 'sinks',
};

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const idOf = (reference: string) => reference.split('.', 1)[0];

/** Sets an own enumerable property, even for keys such as `__proto__` that `=` would not store. */
function put<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function component(type: string, inputs: string[] | null, options: Record<string, unknown>): VectorComponent {
  const result: VectorComponent = inputs ? { type, inputs } : { type };
  for (const [key, value] of Object.entries(options)) {
    // `type` and `inputs` are the document's; the checks report them inside options.
    if (key !== 'type' && key !== 'inputs') put(result, key, value);
  }
  return result;
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
 * The components that run on `platform`, each with the inputs left to it: disabled components and
 * those not on the platform are dropped, references to dropped components are dropped, and a
 * transform or sink left without any input is dropped in turn (until nothing changes). References
 * to ids the document does not hold, and globs, stay for the checks to judge; a consumer that
 * named no input at all stays too, so the checks can say so.
 */
function runningComponents(components: readonly RenderComponent[], platform: Platform) {
  const known = new Set(components.map((c) => c.id));
  let running = components
    .filter((c) => c.enabled && c.platforms.includes(platform))
    .map((c) => ({ ...c, inputs: [...new Set(c.inputs)].sort(compare) }));
  for (;;) {
    const present = new Set(running.map((c) => c.id));
    const kept = (reference: string) => !known.has(idOf(reference)) || present.has(idOf(reference));
    const next = running
      .map((c) => ({ ...c, inputs: c.inputs.filter(kept) }))
      .filter((c, i) => c.kind === 'source' || c.inputs.length > 0 || running[i].inputs.length === 0);
    const settled =
      next.length === running.length && next.every((c, i) => c.inputs.length === running[i].inputs.length);
    running = next;
    if (settled) return running;
  }
}

/**
 * Renders a pipeline document's Vector config for one platform. Call it whenever a version is
 * published or a draft previewed; it never throws and does not validate — run checkPipeline
 * (checks.ts) on a non-empty result before publishing it. No source running on the platform:
 * `empty`, config `{}`, YAML exactly `{}`.
 */
export function renderPipeline(
  document: { components: readonly RenderComponent[] },
  platform: Platform,
): RenderedPipeline {
  const running = runningComponents(document.components, platform);
  if (!running.some((c) => c.kind === 'source')) return pipeline({}, EMPTY_CONFIG, true);
  const config: VectorConfig = {};
  for (const c of [...running].sort((a, b) => compare(a.id, b.id))) {
    const section = (config[SECTION_OF[c.kind]] ??= {});
    put(section, c.id, component(c.type, c.kind === 'source' ? null : c.inputs, c.options));
  }
  const ordered: VectorConfig = {};
  for (const section of SECTIONS) if (config[section]) ordered[section] = config[section];
  return pipeline(ordered, serialise(ordered), false);
}
