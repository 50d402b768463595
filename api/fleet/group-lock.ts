/**
 * The group row lock every change of a group's pipeline takes first, so concurrent edits of one
 * group publish versions one after another. A leaf of the fleet: groups, drafts, versions,
 * policy and secrets all lock through it without importing one another.
 */
import type { Tx } from './context.ts';
import type { Group } from '../generated/prisma/client.ts';
import { FleetError, FleetErrorCode } from './errors.ts';

/**
 * Lock the group row for the rest of transaction `tx` (so concurrent edits of one group publish
 * versions one after another) and return it; throws group_not_found when it does not exist.
 */
export async function findGroupForUpdate(tx: Tx, id: string): Promise<Group> {
  const locked = await tx.$queryRaw<
    { id: string }[]
  >`SELECT id FROM groups WHERE id = ${id}::uuid FOR UPDATE`;
  if (locked.length === 0) throw new FleetError(FleetErrorCode.groupNotFound, `no group with id ${id}`);
  return tx.group.findUniqueOrThrow({ where: { id } });
}
