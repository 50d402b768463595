/**
 * Groups: a named set of agents sharing one pipeline. Creating or renaming a group publishes a new
 * config version (renaming is a change operators roll out like any other, as the seed describes).
 */
import { z } from 'zod';
import type { Actor, FleetContext } from './context.ts';
import type { Group } from '../generated/prisma/client.ts';
import { FleetError, FleetErrorCode, isUniqueViolation, validationError } from './errors.ts';
import { recordAudit } from './audit.ts';
import { inTransaction } from './transaction.ts';
import { publishGroupConfig } from './publish.ts';
import { findGroupForUpdate } from './group-lock.ts';
import { republishChecked } from './pipeline/versions.ts';
import { parseInput, storableText } from './validate.ts';

/** What a group slug may be (also checked where slugs arrive in URLs: api/deploy-files.ts). */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

const Slug = z
  .string()
  .regex(SLUG_PATTERN, 'use 1–64 lower-case letters, digits and dashes, not at either end');
const Name = storableText().trim().min(1, 'must not be empty').max(128);
const Description = storableText().max(2000);

export const CreateGroupInput = z.object({ slug: Slug, name: Name, description: Description.default('') });
export const UpdateGroupInput = z.object({
  id: z.uuid(),
  name: Name.optional(),
  description: Description.optional(),
  /** False: agents only report drift of their config file instead of restoring it. */
  selfHeal: z.boolean().optional(),
});
export const DeleteGroupInput = z.object({ id: z.uuid() });

function summary(g: Group) {
  return {
    slug: g.slug,
    name: g.name,
    description: g.description,
    configVersion: g.configVersion,
    selfHeal: g.selfHeal,
  };
}

/**
 * Create a group and publish its first config (version 1, `{}` on every platform).
 * Fails with validation_failed (bad slug or name) or conflict (slug taken); nothing is written then.
 */
export async function createGroup(ctx: FleetContext, actor: Actor, input: unknown): Promise<Group> {
  const data = parseInput(CreateGroupInput, input);
  try {
    return await inTransaction(ctx, async (tx, emit) => {
      const created = await tx.group.create({ data: { ...data, configVersion: 0, latestVersion: 0 } });
      await publishGroupConfig(tx, created.id, emit, {
        actor,
        message: 'Group created',
        now: ctx.clock(),
        offlineAfterMs: ctx.tuning.current.offlineAfterMs,
      });
      const group = await tx.group.findUniqueOrThrow({ where: { id: created.id } });
      await recordAudit(tx, actor, 'group.create', { type: 'group', id: group.id }, null, summary(group));
      return group;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw slugTaken(data.slug);
    throw error;
  }
}

/**
 * Rename or re-describe a group. A new name publishes the pipeline again as a new version (in the
 * history with a message naming the rename), after the checks every publication passes; a
 * description alone publishes nothing. Fails with group_not_found, validation_failed, or the
 * checks' errors (config_invalid, component_not_allowed, …: the published pipeline no longer
 * passes them) and then changes nothing.
 */
export async function updateGroup(ctx: FleetContext, actor: Actor, input: unknown): Promise<Group> {
  const data = parseInput(UpdateGroupInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const before = await findGroupForUpdate(tx, data.id);
    const changed = await tx.group.update({
      where: { id: data.id },
      data: { name: data.name, description: data.description, selfHeal: data.selfHeal },
    });
    const renamed = data.name !== undefined && data.name !== before.name;
    if (renamed) {
      const message = `Group renamed from "${before.name}" to "${changed.name}" (pipeline unchanged)`;
      await republishChecked(tx, emit, changed, {
        actor,
        message,
        now: ctx.clock(),
        offlineAfterMs: ctx.tuning.current.offlineAfterMs,
      });
    }
    if (!renamed || changed.selfHeal !== before.selfHeal) emit('groupUpdated', { groupId: data.id });
    const after = await tx.group.findUniqueOrThrow({ where: { id: changed.id } });
    await recordAudit(
      tx,
      actor,
      'group.update',
      { type: 'group', id: data.id },
      summary(before),
      summary(after),
    );
    return after;
  });
}

/**
 * Delete a group with its draft, versions, tokens and config history. Refused with group_not_empty
 * while any non-revoked agent belongs to it; revoked agents' rows go with the group.
 */
export async function deleteGroup(ctx: FleetContext, actor: Actor, input: unknown): Promise<Group> {
  const { id } = parseInput(DeleteGroupInput, input);
  return inTransaction(ctx, async (tx, emit) => {
    const group = await findGroupForUpdate(tx, id);
    const active = await tx.agent.count({ where: { groupId: id, revokedAt: null } });
    if (active > 0) {
      throw new FleetError(
        FleetErrorCode.groupNotEmpty,
        `group "${group.slug}" still has ${active} agent(s): move or revoke them first`,
      );
    }
    await tx.agent.deleteMany({ where: { groupId: id } });
    await tx.group.delete({ where: { id } });
    await recordAudit(tx, actor, 'group.delete', { type: 'group', id }, summary(group), null);
    emit('groupUpdated', { groupId: id, deleted: true });
    return group;
  });
}

/** Look a group up by slug; throws FleetError(group_not_found) when there is none. */
export async function getGroupBySlug(ctx: FleetContext, slug: string): Promise<Group> {
  const group = await ctx.db.group.findUnique({ where: { slug } });
  if (!group) throw new FleetError(FleetErrorCode.groupNotFound, `no group with slug "${slug}"`);
  return group;
}

function slugTaken(slug: string): FleetError {
  const error = validationError([{ path: 'slug', message: `slug "${slug}" is already taken` }]);
  return new FleetError(FleetErrorCode.conflict, error.message, error.issues);
}
