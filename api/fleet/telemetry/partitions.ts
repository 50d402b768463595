/**
 * Daily partitions of the telemetry history tables: created ahead of time, dropped when they fall
 * out of retention (dropping a partition is cheap: no row-by-row DELETE, no vacuum debt). Both
 * steps run inside a transaction that holds a PostgreSQL advisory lock, so replicas never race
 * each other over the same DDL; the retention job (api/jobs/telemetry-retention.ts) uses the
 * non-blocking variant so only one replica at a time prunes.
 */
import type { FleetContext, Tx } from '../context.ts';
import type { TelemetrySettings } from '../../config.ts';
import { TRANSACTION_LIMITS } from '../transaction.ts';

/** The partitioned tables and the retention setting that applies to each. */
export const PARTITIONED_TABLES = {
  telemetry_component_minutes: 'minuteRetentionDays',
  telemetry_agent_buckets: 'agentRetentionDays',
} as const;
export type PartitionedTable = keyof typeof PARTITIONED_TABLES;

/** How long each history is kept, in days (FLOTILLA_TELEMETRY_*_RETENTION_DAYS). */
export type TelemetryRetention = Pick<TelemetrySettings, 'minuteRetentionDays' | 'agentRetentionDays'>;

/** Days ahead of today whose partitions exist, so a clock crossing midnight never lacks one. */
export const PARTITION_DAYS_AHEAD = 2;
/**
 * Days before today whose partitions are created: an agent's 5-minute bucket opened before
 * midnight is written when its next sample arrives. Older closed buckets are not written.
 */
export const PARTITION_DAYS_BEHIND = 1;
/** Advisory lock key of partition maintenance ("flotilla telemetry" in hex-ish, fixed forever). */
export const PARTITION_LOCK_KEY = 0x7e1e_2013;

const DAY_MS = 86_400_000;

/** The UTC midnight starting the day of `at`. */
function dayStart(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
}

/** The first instant whose closed buckets are still written (older ones have no partition to go to). */
export function oldestWritableBucket(now: Date): Date {
  return new Date(dayStart(now).getTime() - PARTITION_DAYS_BEHIND * DAY_MS);
}

/** The partition holding day `day` of `table`: `<table>_pYYYYMMDD`. */
export function partitionName(table: PartitionedTable, day: Date): string {
  return `${table}_p${day.toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** The partitions of `table` with the first instant each holds, oldest first. */
export async function listPartitions(
  db: FleetContext['db'] | Tx,
  table: PartitionedTable,
): Promise<{ name: string; from: Date }[]> {
  const rows = await db.$queryRawUnsafe<{ name: string }[]>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = $1::regclass ORDER BY c.relname`,
    table,
  );
  return rows.flatMap(({ name }) => {
    const m = /_p(\d{4})(\d{2})(\d{2})$/.exec(name);
    return m ? [{ name, from: new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`) }] : [];
  });
}

async function createMissing(tx: Tx, now: Date, retention: TelemetryRetention): Promise<string[]> {
  const created: string[] = [];
  for (const [table, setting] of Object.entries(PARTITIONED_TABLES) as [
    PartitionedTable,
    keyof TelemetryRetention,
  ][]) {
    const existing = new Set((await listPartitions(tx, table)).map((p) => p.name));
    const today = dayStart(now).getTime();
    // From the oldest day still kept (late samples of an agent's open bucket land there) to a few days ahead.
    for (
      let day = today - retention[setting] * DAY_MS;
      day <= today + PARTITION_DAYS_AHEAD * DAY_MS;
      day += DAY_MS
    ) {
      const from = new Date(day);
      const name = partitionName(table, from);
      if (existing.has(name)) continue;
      const to = new Date(day + DAY_MS);
      await tx.$executeRawUnsafe(
        `CREATE TABLE IF NOT EXISTS "${name}" PARTITION OF "${table}" FOR VALUES FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`,
      );
      created.push(name);
    }
  }
  return created;
}

async function dropExpired(tx: Tx, now: Date, retention: TelemetryRetention): Promise<string[]> {
  const dropped: string[] = [];
  for (const [table, setting] of Object.entries(PARTITIONED_TABLES) as [
    PartitionedTable,
    keyof TelemetryRetention,
  ][]) {
    const keepFrom = dayStart(now).getTime() - retention[setting] * DAY_MS;
    for (const p of await listPartitions(tx, table)) {
      if (p.from.getTime() >= keepFrom) continue;
      await tx.$executeRawUnsafe(`DROP TABLE IF EXISTS "${p.name}"`);
      dropped.push(p.name);
    }
  }
  return dropped;
}

/**
 * Make sure every partition from PARTITION_DAYS_BEHIND days before `now` to PARTITION_DAYS_AHEAD
 * days after it exists. Waits for the maintenance lock (another replica may hold it briefly). Idempotent;
 * rejects when the database fails.
 */
export async function ensurePartitions(
  ctx: FleetContext,
  now: Date,
  retention: TelemetryRetention,
): Promise<string[]> {
  return ctx.db.$transaction(async (tx) => {
    await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock($1::bigint)', PARTITION_LOCK_KEY);
    return createMissing(tx, now, retention);
  }, TRANSACTION_LIMITS);
}

/**
 * One maintenance round: when this replica gets the maintenance lock without waiting, create the
 * partitions ahead and drop those whose whole day is older than the retention. Resolves
 * `{ ran: false }` when another replica holds the lock. Rejects when the database fails.
 */
export async function maintainPartitions(
  ctx: FleetContext,
  now: Date,
  retention: TelemetryRetention,
): Promise<{ ran: boolean; created: string[]; dropped: string[] }> {
  return ctx.db.$transaction(async (tx) => {
    const [{ locked }] = await tx.$queryRawUnsafe<{ locked: boolean }[]>(
      'SELECT pg_try_advisory_xact_lock($1::bigint) AS locked',
      PARTITION_LOCK_KEY,
    );
    if (!locked) return { ran: false, created: [], dropped: [] };
    const created = await createMissing(tx, now, retention);
    const dropped = await dropExpired(tx, now, retention);
    return { ran: true, created, dropped };
  }, TRANSACTION_LIMITS);
}
