/**
 * Runs fleet writes in one database transaction and publishes their events only after it commits,
 * so no subscriber ever sees a change that was rolled back.
 */
import type { BulkQuery, Db } from '../db.ts';
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

/** Runs `work` in one transaction whose statements send their parameters to the driver as they are. */
export type BulkTransaction = <T>(work: (query: BulkQuery) => Promise<T>) => Promise<T>;

/**
 * The bulk transactions of the hot writes (the telemetry flush): the database's own path with
 * the fleet's time limit where it has one (PostgreSQL), else a Prisma transaction (PGlite).
 */
export function bulkTransactionOf(db: Pick<Db, 'prisma' | 'bulkTransaction'>): BulkTransaction {
  const direct = db.bulkTransaction;
  if (direct) return (work) => direct(TRANSACTION_LIMITS.timeout, work);
  return (work) =>
    db.prisma.$transaction(
      (tx) => work(<R>(sql: string, params: readonly unknown[]) => tx.$queryRawUnsafe<R[]>(sql, ...params)),
      TRANSACTION_LIMITS,
    );
}
