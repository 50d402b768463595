/**
 * The one way a group's pipeline (inputs, outputs) changes: lock the group row, write, publish the
 * new config version and audit the change, all in one transaction. When the published config would
 * fail `vector validate`, or anything else throws, nothing is written.
 */
import type { Actor, FleetContext, Tx } from './context.ts';
import type { Group } from '../generated/prisma/client.ts';
import { FleetError, FleetErrorCode, isUniqueViolation, validationError } from './errors.ts';
import { recordAudit } from './audit.ts';
import { inTransaction } from './transaction.ts';
import { publishGroupConfig } from './publish.ts';
import { findGroupForUpdate } from './groups.ts';

interface PipelineRow {
  id: string;
  groupId: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface PipelineWrite<T> {
  before: T | null;
  after: T | null;
  result: T;
}

/** The audit summary of an input or output: every field but ids and timestamps. */
function componentSnapshot<T extends PipelineRow>(
  row: T,
): Omit<T, 'id' | 'groupId' | 'createdAt' | 'updatedAt'> {
  const { id: _id, groupId: _g, createdAt: _c, updatedAt: _u, ...rest } = row;
  return rest;
}

/** The conflict error for a component name already used in the group. */
function nameTaken(name: string): FleetError {
  const error = validationError([{ path: 'name', message: `"${name}" is already used in this group` }]);
  return new FleetError(FleetErrorCode.conflict, error.message, error.issues);
}

/**
 * Run `write` for group `groupId` (it gets the locked group row) and publish. `action` names the
 * audit event (`input.update`); a unique-name violation becomes conflict on `name`. Rejects with whatever `write` or the
 * publication throws (group_not_found, config_invalid, …), and then nothing was written.
 */
export async function changePipeline<T extends PipelineRow>(
  ctx: FleetContext,
  actor: Actor,
  groupId: string,
  action: string,
  name: string | undefined,
  write: (tx: Tx, group: Group) => Promise<PipelineWrite<T>>,
): Promise<T> {
  try {
    return await inTransaction(ctx, async (tx, emit) => {
      const group = await findGroupForUpdate(tx, groupId);
      const { before, after, result } = await write(tx, group);
      await publishGroupConfig(tx, groupId, emit);
      await recordAudit(
        tx,
        actor,
        action,
        { type: action.split('.')[0], id: result.id },
        before && componentSnapshot(before),
        after && componentSnapshot(after),
      );
      return result;
    });
  } catch (error) {
    if (name !== undefined && isUniqueViolation(error)) throw nameTaken(name);
    throw error;
  }
}
