/**
 * Component-level edits of a group's draft: add, update (options, inputs, enabled, platforms,
 * type, id), remove, connect and disconnect. Each is one draft revision (draft.ts editDraft:
 * revision check, storability, audit); field paths in errors are relative to the mutation input
 * (`component.options`, `changes.id`).
 */
import { z } from 'zod';
import type { Actor, FleetContext } from '../context.ts';
import { FleetError, FleetErrorCode } from '../errors.ts';
import { parseInput } from '../validate.ts';
import { DraftTarget, editDraft, findComponent, type DraftState } from './draft.ts';
import {
  ComponentId,
  ComponentInput,
  ComponentType,
  InputReference,
  MAX_COMPONENT_INPUTS,
  PlatformList,
  completeComponent,
  referencedId,
  type PipelineComponent,
  type PipelineDocument,
} from './document.ts';
import { storableOptions } from '../validate.ts';

export const AddDraftComponentInput = DraftTarget.extend({ component: ComponentInput });
export const UpdateDraftComponentInput = DraftTarget.extend({
  id: ComponentId,
  changes: z.strictObject({
    id: ComponentId.optional(),
    type: ComponentType.optional(),
    options: storableOptions().optional(),
    inputs: z.array(InputReference).max(MAX_COMPONENT_INPUTS).optional(),
    enabled: z.boolean().optional(),
    platforms: PlatformList.optional(),
  }),
});
export const RemoveDraftComponentInput = DraftTarget.extend({ id: ComponentId });
export const ConnectDraftComponentsInput = DraftTarget.extend({
  from: InputReference,
  to: ComponentId,
});

const withComponents = (document: PipelineDocument, components: PipelineComponent[]) => ({
  ...document,
  components,
});

/** References to `id` (`id` itself or `id.<output>`) renamed to `to`, or dropped when `to` is null. */
function rewriteReferences(inputs: string[], id: string, to: string | null): string[] {
  return inputs.flatMap((ref) => {
    if (referencedId(ref) !== id) return [ref];
    return to === null ? [] : [to + ref.slice(id.length)];
  });
}

/**
 * Add a component to the draft (`input`: groupId, revision, component). A duplicate id is refused
 * with validation_failed on `component.id`. Throws like editDraft.
 */
export async function addDraftComponent(
  ctx: FleetContext,
  actor: Actor,
  input: unknown,
): Promise<DraftState> {
  const data = parseInput(AddDraftComponentInput, input);
  const component = completeComponent(data.component);
  return editDraft(ctx, actor, data.groupId, data.revision, (document) => {
    if (document.components.some((c) => c.id === component.id)) {
      throw new FleetError(
        FleetErrorCode.validationFailed,
        `component.id: "${component.id}" is already used`,
        [
          {
            path: 'component.id',
            message: `"${component.id}" is already the id of a component of this pipeline`,
          },
        ],
      );
    }
    return {
      document: withComponents(document, [...document.components, component]),
      change: { action: 'pipeline.draft.add', summary: { component: component.id, type: component.type } },
    };
  });
}

/**
 * Change one component of the draft (`input`: groupId, revision, id, changes). A new id renames
 * every reference to it. Enabling or disabling is `changes.enabled`. Throws component_not_found,
 * validation_failed (`changes.<field>`), or like editDraft.
 */
export async function updateDraftComponent(
  ctx: FleetContext,
  actor: Actor,
  input: unknown,
): Promise<DraftState> {
  const data = parseInput(UpdateDraftComponentInput, input);
  return editDraft(ctx, actor, data.groupId, data.revision, (document) => {
    const before = findComponent(document, data.id);
    const { changes } = data;
    const newId = changes.id ?? before.id;
    if (newId !== before.id && document.components.some((c) => c.id === newId)) {
      throw new FleetError(FleetErrorCode.validationFailed, `changes.id: "${newId}" is already used`, [
        { path: 'changes.id', message: `"${newId}" is already the id of a component of this pipeline` },
      ]);
    }
    const after: PipelineComponent = { ...before, ...changes, id: newId };
    const components = document.components.map((c) => {
      const next = c.id === before.id ? after : c;
      return newId === before.id
        ? next
        : { ...next, inputs: rewriteReferences(next.inputs, before.id, newId) };
    });
    const fields = Object.keys(changes).sort();
    const action =
      fields.length === 1 && fields[0] === 'enabled'
        ? changes.enabled
          ? 'pipeline.draft.enable'
          : 'pipeline.draft.disable'
        : 'pipeline.draft.change';
    return {
      document: withComponents(document, components),
      change: {
        action,
        summary: { component: before.id, fields, ...(newId !== before.id ? { newId } : {}) },
      },
    };
  });
}

/**
 * Remove one component from the draft and every reference to it (`input`: groupId, revision, id).
 * Throws component_not_found, or like editDraft.
 */
export async function removeDraftComponent(
  ctx: FleetContext,
  actor: Actor,
  input: unknown,
): Promise<DraftState> {
  const data = parseInput(RemoveDraftComponentInput, input);
  return editDraft(ctx, actor, data.groupId, data.revision, (document) => {
    findComponent(document, data.id);
    const components = document.components
      .filter((c) => c.id !== data.id)
      .map((c) => ({ ...c, inputs: rewriteReferences(c.inputs, data.id, null) }));
    return {
      document: withComponents(document, components),
      change: { action: 'pipeline.draft.remove', summary: { component: data.id } },
    };
  });
}

function connection(connect: boolean) {
  return async (ctx: FleetContext, actor: Actor, input: unknown): Promise<DraftState> => {
    const data = parseInput(ConnectDraftComponentsInput, input);
    return editDraft(ctx, actor, data.groupId, data.revision, (document) => {
      const target = findComponent(document, data.to);
      if (target.kind === 'source') {
        throw new FleetError(
          FleetErrorCode.validationFailed,
          `to: "${data.to}" is a source and reads no inputs`,
          [{ path: 'to', message: 'a source reads no inputs' }],
        );
      }
      const inputs = connect
        ? [...new Set([...target.inputs, data.from])]
        : target.inputs.filter((ref) => ref !== data.from);
      if (!connect && inputs.length === target.inputs.length) {
        throw new FleetError(
          FleetErrorCode.validationFailed,
          `from: "${data.to}" does not read "${data.from}"`,
          [{ path: 'from', message: `"${data.to}" does not read "${data.from}"` }],
        );
      }
      const components = document.components.map((c) => (c.id === data.to ? { ...c, inputs } : c));
      return {
        document: withComponents(document, components),
        change: {
          action: connect ? 'pipeline.draft.connect' : 'pipeline.draft.disconnect',
          summary: { from: data.from, to: data.to },
        },
      };
    });
  };
}

/**
 * Make component `to` read `from` (an id or `<id>.<output>`) in the draft (`input`: groupId,
 * revision, from, to). Connecting twice is a no-op edit. Throws component_not_found,
 * validation_failed (`to` is a source), or like editDraft. Unknown `from` ids are stored and
 * reported as problems, as Vector would.
 */
export const connectDraftComponents = connection(true);

/** Stop component `to` reading `from`; throws validation_failed when it did not, or like connectDraftComponents. */
export const disconnectDraftComponents = connection(false);
