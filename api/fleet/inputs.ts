/**
 * Inputs: the Vector sources of a group. Every change is validated against the Vector catalogue
 * and publishes a new config version in the same transaction; a change whose config would fail
 * `vector validate` is refused and nothing is written.
 */
import { z } from 'zod';
import type { Actor, FleetContext } from './context.ts';
import type { Input, Prisma } from '../generated/prisma/client.ts';
import { FleetError, FleetErrorCode, validationError, type FieldIssue } from './errors.ts';
import { changePipeline } from './pipeline-change.ts';
import { parseInput, storableOptions, storableText } from './validate.ts';
import { enforceComponentRules } from './component-rules.ts';
import { defaultPlatforms, getComponent, validateComponentOptions } from './vector/components.ts';
import { Platform } from '../protocol/v1.ts';

/** Component names become Vector ids: no dots, unique within the group. */
export const ComponentName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'use 1–63 lower-case letters, digits, "_" and "-", starting with a letter or digit',
  );
const Override = storableText().trim().min(1).max(128).nullable();
const PlatformList = z.array(Platform).min(1, 'pick at least one platform');
const Options = storableOptions();

export const CreateInputInput = z.object({
  groupId: z.uuid(),
  name: ComponentName,
  type: storableText().min(1),
  options: Options.default({}),
  platforms: PlatformList.optional(),
  enabled: z.boolean().default(true),
  indexOverride: Override.optional(),
  sourcetypeOverride: Override.optional(),
  sourceOverride: Override.optional(),
});
export const UpdateInputInput = z.object({
  id: z.uuid(),
  name: ComponentName.optional(),
  options: Options.optional(),
  platforms: PlatformList.optional(),
  enabled: z.boolean().optional(),
  indexOverride: Override.optional(),
  sourcetypeOverride: Override.optional(),
  sourceOverride: Override.optional(),
});
export const DeleteInputInput = z.object({ id: z.uuid() });

/** Catalogue checks for a source: known type, valid options, platforms the type runs on. */
function checkSource(type: string, options: unknown, platforms: Platform[]): FieldIssue[] {
  const component = getComponent('source', type);
  if (!component) return [{ path: 'type', message: `unknown source type "${type}"` }];
  const issues = validateComponentOptions('source', type, options);
  const unsupported = platforms.filter((p) => !component.platforms.includes(p));
  if (unsupported.length > 0) {
    issues.push({ path: 'platforms', message: `${type} does not run on ${unsupported.join(', ')}` });
  }
  return issues;
}

/**
 * Add a source to a group and publish. Platforms default from the source type (journald: linux,
 * kubernetes_logs: kubernetes, others both). Fails with validation_failed (the field is named),
 * conflict (name taken), group_not_found or config_invalid; nothing is written then.
 */
export async function createInput(ctx: FleetContext, actor: Actor, input: unknown): Promise<Input> {
  const data = parseInput(CreateInputInput, input);
  const platforms = data.platforms ?? defaultPlatforms(data.type);
  const issues = checkSource(data.type, data.options, platforms);
  if (issues.length > 0) throw validationError(issues);
  return changePipeline(ctx, actor, data.groupId, 'input.create', data.name, async (tx, group) => {
    await enforceComponentRules(tx, group, 'source', data.type, data.options);
    const created = await tx.input.create({
      data: { ...data, platforms, options: data.options as Prisma.InputJsonValue },
    });
    return { before: null, after: created, result: created };
  });
}

/**
 * Change a source (options, platforms, enabled, routing overrides, name) and publish. Fails like
 * createInput, or with input_not_found; nothing is written then.
 */
export async function updateInput(ctx: FleetContext, actor: Actor, input: unknown): Promise<Input> {
  const data = parseInput(UpdateInputInput, input);
  const existing = await ctx.db.input.findUnique({ where: { id: data.id } });
  if (!existing) throw new FleetError(FleetErrorCode.inputNotFound, `no input with id ${data.id}`);
  const issues = checkSource(
    existing.type,
    data.options ?? existing.options,
    data.platforms ?? existing.platforms,
  );
  if (issues.length > 0) throw validationError(issues);
  return changePipeline(ctx, actor, existing.groupId, 'input.update', data.name, async (tx, group) => {
    const before = await tx.input.findUnique({ where: { id: data.id } });
    if (!before) throw new FleetError(FleetErrorCode.inputNotFound, `no input with id ${data.id}`);
    await enforceComponentRules(tx, group, 'source', before.type, data.options ?? before.options);
    const { id, options, ...rest } = data;
    const updated = await tx.input.update({
      where: { id },
      data: { ...rest, options: options as Prisma.InputJsonValue | undefined },
    });
    return { before, after: updated, result: updated };
  });
}

/**
 * Remove a source (and its place in outputs that listed it) and publish. Fails with
 * input_not_found, conflict (an output reads only from this input) or config_invalid.
 */
export async function deleteInput(ctx: FleetContext, actor: Actor, input: unknown): Promise<Input> {
  const { id } = parseInput(DeleteInputInput, input);
  const existing = await ctx.db.input.findUnique({ where: { id } });
  if (!existing) throw new FleetError(FleetErrorCode.inputNotFound, `no input with id ${id}`);
  return changePipeline(ctx, actor, existing.groupId, 'input.delete', undefined, async (tx) => {
    const removed = await tx.input.delete({ where: { id } });
    const narrowing = await tx.output.findMany({
      where: { groupId: existing.groupId, inputIds: { has: id } },
    });
    for (const output of narrowing) {
      if (output.inputIds.length === 1) {
        throw new FleetError(
          FleetErrorCode.conflict,
          `output "${output.name}" reads only from input "${existing.name}": change the output first`,
        );
      }
      await tx.output.update({
        where: { id: output.id },
        data: { inputIds: output.inputIds.filter((inputId) => inputId !== id) },
      });
    }
    return { before: removed, after: null, result: removed };
  });
}
