/**
 * Outputs: the Vector sinks of a group. Each enabled input feeds every enabled output unless the
 * output lists `inputIds`. Changes are validated against the catalogue and publish a new version
 * in the same transaction; a change whose config would fail `vector validate` is refused.
 */
import { z } from 'zod';
import type { Actor, FleetContext, Tx } from './context.ts';
import type { Output, Prisma } from '../generated/prisma/client.ts';
import { FleetError, FleetErrorCode, validationError, type FieldIssue } from './errors.ts';
import { changePipeline } from './pipeline-change.ts';
import { ComponentName } from './inputs.ts';
import { parseInput, storableOptions, storableText } from './validate.ts';
import { enforceComponentRules } from './component-rules.ts';
import { getComponent, validateComponentOptions } from './vector/components.ts';

const Options = storableOptions();
const InputIds = z.array(z.uuid()).max(200);

export const CreateOutputInput = z.object({
  groupId: z.uuid(),
  name: ComponentName,
  type: storableText().min(1),
  options: Options.default({}),
  enabled: z.boolean().default(true),
  inputIds: InputIds.default([]),
});
export const UpdateOutputInput = z.object({
  id: z.uuid(),
  name: ComponentName.optional(),
  options: Options.optional(),
  enabled: z.boolean().optional(),
  inputIds: InputIds.optional(),
});
export const DeleteOutputInput = z.object({ id: z.uuid() });

function checkSink(type: string, options: unknown): FieldIssue[] {
  if (!getComponent('sink', type)) return [{ path: 'type', message: `unknown sink type "${type}"` }];
  return validateComponentOptions('sink', type, options);
}

async function checkInputIds(tx: Tx, groupId: string, inputIds: string[]): Promise<void> {
  if (inputIds.length === 0) return;
  const found = await tx.input.count({ where: { groupId, id: { in: inputIds } } });
  if (found !== new Set(inputIds).size) {
    throw validationError([{ path: 'inputIds', message: 'every input id must name an input of this group' }]);
  }
}

/**
 * Add a sink to a group and publish. Fails with validation_failed (naming the field), conflict
 * (name taken), group_not_found or config_invalid; nothing is written then.
 */
export async function createOutput(ctx: FleetContext, actor: Actor, input: unknown): Promise<Output> {
  const data = parseInput(CreateOutputInput, input);
  const issues = checkSink(data.type, data.options);
  if (issues.length > 0) throw validationError(issues);
  return changePipeline(ctx, actor, data.groupId, 'output.create', data.name, async (tx, group) => {
    await enforceComponentRules(tx, group, 'sink', data.type, data.options);
    await checkInputIds(tx, data.groupId, data.inputIds);
    const created = await tx.output.create({
      data: { ...data, options: data.options as Prisma.InputJsonValue },
    });
    return { before: null, after: created, result: created };
  });
}

/** Change a sink and publish. Fails like createOutput, or with output_not_found. */
export async function updateOutput(ctx: FleetContext, actor: Actor, input: unknown): Promise<Output> {
  const data = parseInput(UpdateOutputInput, input);
  const existing = await ctx.db.output.findUnique({ where: { id: data.id } });
  if (!existing) throw new FleetError(FleetErrorCode.outputNotFound, `no output with id ${data.id}`);
  const issues = checkSink(existing.type, data.options ?? existing.options);
  if (issues.length > 0) throw validationError(issues);
  return changePipeline(ctx, actor, existing.groupId, 'output.update', data.name, async (tx, group) => {
    await enforceComponentRules(tx, group, 'sink', existing.type, data.options ?? existing.options);
    if (data.inputIds) await checkInputIds(tx, existing.groupId, data.inputIds);
    const { id, options, ...rest } = data;
    const updated = await tx.output.update({
      where: { id },
      data: { ...rest, options: options as Prisma.InputJsonValue | undefined },
    });
    return { before: existing, after: updated, result: updated };
  });
}

/**
 * Remove a sink and publish. Refused with config_invalid when enabled inputs would be left with no
 * sink at all (Vector rejects a config without sinks); nothing is written then.
 */
export async function deleteOutput(ctx: FleetContext, actor: Actor, input: unknown): Promise<Output> {
  const { id } = parseInput(DeleteOutputInput, input);
  const existing = await ctx.db.output.findUnique({ where: { id } });
  if (!existing) throw new FleetError(FleetErrorCode.outputNotFound, `no output with id ${id}`);
  return changePipeline(ctx, actor, existing.groupId, 'output.delete', undefined, async (tx) => {
    const removed = await tx.output.delete({ where: { id } });
    return { before: removed, after: null, result: removed };
  });
}
