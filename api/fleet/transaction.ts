/**
 * Runs fleet writes in one database transaction and publishes their events only after it commits,
 * so no subscriber ever sees a change that was rolled back.
 */
import type { FleetContext, Tx } from './context.ts';
import type { FleetEvents, Topic } from './events.ts';

export type Emit = <T extends Topic>(topic: T, payload: FleetEvents[T]) => void;

/**
 * How long a fleet transaction may wait for a connection and run: Prisma's defaults (2 s and 5 s)
 * fail healthy work on a loaded database (a new database's first telemetry partitions took 5.9 s
 * on a busy machine, and the server did not start).
 */
export const TRANSACTION_LIMITS = { timeout: 30_000, maxWait: 30_000 } as const;

/**
 * Run `work` inside a transaction; events passed to `emit` are published after the commit, in
 * order. When `work` throws, the transaction rolls back, nothing is published, and the error is rethrown.
 */
export async function inTransaction<T>(
  ctx: FleetContext,
  work: (tx: Tx, emit: Emit) => Promise<T>,
): Promise<T> {
  const queued: [Topic, unknown][] = [];
  const emit: Emit = (topic, payload) => {
    queued.push([topic, payload]);
  };
  const result = await ctx.db.$transaction((tx) => work(tx, emit), TRANSACTION_LIMITS);
  for (const [topic, payload] of queued) ctx.events.publish(topic, payload as never);
  return result;
}
