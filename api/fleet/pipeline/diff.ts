/**
 * The difference between two pipeline documents: a unified diff of the rendered YAML per platform
 * (what agents would get, literal credentials masked) and a component summary (added, removed,
 * changed with the fields that changed). Pure; used for draft-vs-published, version-vs-version
 * and the pipelines-as-code plan.
 */
import { createTwoFilesPatch } from 'diff';
import { Platform } from '../../protocol/v1.ts';
import { renderPipeline } from '../vector/render.ts';
import { maskRenderedCredentials } from '../secret-refs.ts';
import type { ComponentKind } from '../vector/catalogue-types.ts';
import type { PipelineComponent, PipelineDocument } from './document.ts';

export type ComponentChangeKind = 'added' | 'removed' | 'changed';

export interface ComponentChange {
  id: string;
  kind: ComponentKind;
  type: string;
  change: ComponentChangeKind;
  /** For `changed`: `type`, `kind`, `inputs`, `enabled`, `platforms` and `options.<key>` that differ. */
  fields: string[];
}

export interface PlatformDiff {
  platform: Platform;
  fromYaml: string;
  toYaml: string;
  /** Unified diff (`---`/`+++` headers named by `fromLabel`/`toLabel`); empty when equal. */
  unified: string;
  changed: boolean;
}

export interface PipelineDiff {
  platforms: PlatformDiff[];
  components: ComponentChange[];
  /** True when any platform's YAML or any component differs. */
  changed: boolean;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function changedFields(before: PipelineComponent, after: PipelineComponent): string[] {
  const fields: string[] = [];
  for (const key of ['kind', 'type', 'enabled'] as const) if (before[key] !== after[key]) fields.push(key);
  if (!same([...before.inputs].sort(), [...after.inputs].sort())) fields.push('inputs');
  if (!same(before.platforms, after.platforms)) fields.push('platforms');
  const keys = [...new Set([...Object.keys(before.options), ...Object.keys(after.options)])].sort();
  for (const key of keys) {
    if (!same(before.options[key], after.options[key])) fields.push(`options.${key}`);
  }
  return fields;
}

/** Added, removed and changed components from `from` to `to`, sorted by id. Never throws. */
export function componentChanges(from: PipelineDocument, to: PipelineDocument): ComponentChange[] {
  const before = new Map(from.components.map((c) => [c.id, c]));
  const after = new Map(to.components.map((c) => [c.id, c]));
  const ids = [...new Set([...before.keys(), ...after.keys()])].sort();
  return ids.flatMap((id): ComponentChange[] => {
    const a = before.get(id);
    const b = after.get(id);
    if (a && b) {
      const fields = changedFields(a, b);
      return fields.length === 0 ? [] : [{ id, kind: b.kind, type: b.type, change: 'changed', fields }];
    }
    const c = (b ?? a)!;
    return [{ id, kind: c.kind, type: c.type, change: b ? 'added' : 'removed', fields: [] }];
  });
}

/**
 * Diff two documents (`fromLabel`/`toLabel` name them in the unified headers, e.g. `v3`, `draft`).
 * Never throws.
 */
export function diffDocuments(
  from: PipelineDocument,
  to: PipelineDocument,
  fromLabel: string,
  toLabel: string,
): PipelineDiff {
  const platforms = Platform.options.map((platform): PlatformDiff => {
    const fromYaml = maskRenderedCredentials(renderPipeline(from, platform).yaml);
    const toYaml = maskRenderedCredentials(renderPipeline(to, platform).yaml);
    const changed = fromYaml !== toYaml;
    const unified = changed
      ? createTwoFilesPatch(`${fromLabel}/${platform}.yaml`, `${toLabel}/${platform}.yaml`, fromYaml, toYaml)
      : '';
    return { platform, fromYaml, toYaml, unified, changed };
  });
  const components = componentChanges(from, to);
  return { platforms, components, changed: components.length > 0 || platforms.some((p) => p.changed) };
}
