/**
 * Runs fleet writes in one database transaction and publishes their events only after it commits,
 * so no subscriber ever sees a change that was rolled back.
 */
import type { FleetContext, Tx } from './context.ts';
import type { FleetEvents, Topic } from './events.ts';

export type Emit = <T extends Topic>(topic: T, payload: FleetEvents[T]) => void;

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
  const result = await ctx.db.$transaction((tx) => work(tx, emit), { timeout: 30_000, maxWait: 30_000 });
  for (const [topic, payload] of queued) ctx.events.publish(topic, payload as never);
  return result;
}
