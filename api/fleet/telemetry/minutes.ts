/**
 * The per-group × component × minute aggregates of one replica, summed in memory and written once
 * per minute as one multi-row statement that ADDS to the stored row (each replica adds the increases
 * of the heartbeats it recorded, and store.ts records each heartbeat once, so the sums across
 * replicas count each heartbeat once). A minute is written when it is over; a failed write keeps
 * the sums for the next attempt (the statement is atomic). A replica that dies loses at most its
 * unwritten minutes.
 */
import type { FleetContext } from '../context.ts';
import { isDataError } from '../heartbeats.ts';
import { COUNTERS, MINUTE_MS, stepStart, type ComponentIncrease, type Counts } from './rates.ts';

interface MinuteRow {
  minute: Date;
  groupId: string;
  componentId: string;
  kind: string;
  type: string;
  counts: Counts;
}

const MINUTES_SQL = `
INSERT INTO telemetry_component_minutes AS m (minute, group_id, component_id, kind, type, events_in, events_out,
  bytes_in, bytes_out, errors, discarded)
SELECT v.minute::timestamptz, v.group_id, v.component_id, v.kind, v.type, v.events_in, v.events_out, v.bytes_in,
  v.bytes_out, v.errors, v.discarded
FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[],
    $9::bigint[], $10::bigint[], $11::bigint[])
  AS v(minute, group_id, component_id, kind, type, events_in, events_out, bytes_in, bytes_out, errors, discarded)
ON CONFLICT (group_id, minute, component_id) DO UPDATE SET
  kind = excluded.kind, type = excluded.type,
  events_in = m.events_in + excluded.events_in, events_out = m.events_out + excluded.events_out,
  bytes_in = m.bytes_in + excluded.bytes_in, bytes_out = m.bytes_out + excluded.bytes_out,
  errors = m.errors + excluded.errors, discarded = m.discarded + excluded.discarded`;

function isZero(counts: Counts): boolean {
  for (const name of COUNTERS) if (counts[name] !== 0) return false;
  return true;
}

export class MinuteSums {
  private rows = new Map<string, MinuteRow>();

  /** Add one recorded heartbeat's increases (received at `at`) to its group's minute. */
  add(groupId: string, at: Date, increases: ComponentIncrease[]): void {
    const minute = stepStart(at, MINUTE_MS);
    const prefix = `${groupId} ${minute.getTime()} `;
    for (const inc of increases) {
      if (isZero(inc.counts)) continue;
      const key = prefix + inc.id;
      const sum = this.rows.get(key);
      if (!sum)
        this.rows.set(key, {
          minute,
          groupId,
          componentId: inc.id,
          kind: inc.kind,
          type: inc.type,
          counts: { ...inc.counts },
        });
      else for (const name of COUNTERS) sum.counts[name] += inc.counts[name];
    }
  }

  /** Minute rows waiting to be written. */
  get size(): number {
    return this.rows.size;
  }

  /**
   * Add the sums of every minute that starts before `before` (all of them when null) to the stored
   * rows in one statement, rows in key order (so replicas lock them in the same order). Resolves the
   * number of rows written; on failure the sums stay for the next call (dropped when the database refuses the data) and
   * the error is rethrown.
   */
  async write(ctx: FleetContext, before: Date | null): Promise<number> {
    const due = [...this.rows.entries()]
      .filter(([, r]) => before === null || r.minute < before)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    if (due.length === 0) return 0;
    // Taken out first: increases added while the statement runs start new rows.
    for (const [key] of due) this.rows.delete(key);
    const col = <T>(f: (r: MinuteRow) => T) => due.map(([, r]) => f(r));
    try {
      await ctx.db.$executeRawUnsafe(
        MINUTES_SQL,
        col((r) => r.minute.toISOString()),
        col((r) => r.groupId),
        col((r) => r.componentId),
        col((r) => r.kind),
        col((r) => r.type),
        ...COUNTERS.map((name) => col((r) => r.counts[name])),
      );
    } catch (error) {
      // Refused data (a sum out of range) would be refused again: dropped.
      if (isDataError(error)) throw error;
      for (const [key, row] of due) {
        const now = this.rows.get(key);
        if (now) for (const name of COUNTERS) now.counts[name] += row.counts[name];
        else this.rows.set(key, row);
      }
      throw error;
    }
    return due.length;
  }
}
