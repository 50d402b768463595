/**
 * The telemetry buffer: heartbeats hand over their parsed telemetry (never touching the database on
 * the agent's request path), and every flush interval the newest sample of each agent is recorded
 * (store.ts) in transactions of up to FLUSH_SLICE_SAMPLES agents each, then the minutes that are over
 * (and hold no sample still buffered) are added to the minute aggregates in one statement
 * (minutes.ts), so each minute row is written once per replica. Published after the commit:
 * `telemetryRecorded`, once per group with the agents recorded, which the live chart subscriptions
 * follow.
 */
import type { FleetContext } from '../context.ts';
import type { AgentEntry } from '../agent-directory.ts';
import type { Telemetry } from '../../protocol/telemetry.ts';
import type { TelemetrySettings } from '../../config.ts';
import { ensurePartitions, oldestWritableBucket } from './partitions.ts';
import { TelemetryStore, type TelemetrySample } from './store.ts';
import { MAX_SAMPLE_GAP_MS, MINUTE_MS, stepStart } from './rates.ts';
import { isDataError } from '../heartbeats.ts';

/** SQLSTATE 23514 with "no partition": a row fell outside every existing partition. */
function missingPartition(error: unknown): boolean {
  const text = String((error as Error)?.message ?? '') + JSON.stringify(error ?? {});
  return /no partition of relation/.test(text);
}

/** Samples per flush transaction: about 30 ms of the event loop each at 10 components per agent. */
export const FLUSH_SLICE_SAMPLES = 250;

export class TelemetryBuffer {
  private pending = new Map<string, TelemetrySample>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** This replica's writer: what it knows of its agents' latest rows, and its unwritten minutes. */
  readonly store: TelemetryStore;

  constructor(
    private readonly ctx: FleetContext,
    private readonly settings: TelemetrySettings,
    private readonly onError: (error: Error) => void,
    /** Samples written per transaction (a flush writes its batch in slices of this many). */
    private readonly sliceSize = FLUSH_SLICE_SAMPLES,
  ) {
    this.store = new TelemetryStore(ctx);
  }

  /** Keep the newest telemetry of `agent` (received at `now`) until the next flush. Never touches the database. */
  add(agent: Pick<AgentEntry, 'id' | 'groupId'>, telemetry: Telemetry, now: Date): void {
    this.pending.set(agent.id, { agentId: agent.id, groupId: agent.groupId, at: now, telemetry });
  }

  /** Agents waiting for the next flush. */
  get size(): number {
    return this.pending.size;
  }

  /** Create the partitions the writes need, then flush every `flushMs` until stop(). Rejects when the database fails. */
  async start(): Promise<void> {
    await ensurePartitions(this.ctx, this.ctx.clock(), this.settings);
    this.timer = setInterval(() => void this.flush(), this.settings.flushMs);
    this.timer.unref();
  }

  /** Stop the timer and write what is buffered, the open minute too; a failing last write is reported through onError. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush(true);
  }

  /**
   * Write everything buffered, then the minute sums of the minutes that are over (every minute with
   * `allMinutes`, as on shutdown). Flushes never overlap. A missing partition (the clock passed the
   * days created ahead) is created and the write retried once. When the database refuses the data
   * (e.g. a sum out of range) the batch is dropped; when the write fails otherwise (connection
   * lost), the samples go back into the buffer unless a newer one arrived, and unwritten minute
   * sums stay for the next flush. Errors go to onError.
   */
  flush(allMinutes = false): Promise<void> {
    const run = this.flushing.then(async () => {
      await this.writeBatch();
      await this.writeMinutes(allMinutes);
    });
    this.flushing = run.catch(() => undefined);
    return run.catch((error: Error) => this.onError(error));
  }

  private async writeMinutes(all: boolean): Promise<void> {
    const now = this.ctx.clock();
    const before = all ? null : stepStart(this.oldestBuffered(now), MINUTE_MS);
    try {
      await this.store.minutes.write(this.ctx, before);
    } catch (error) {
      if (!missingPartition(error)) throw error;
      await ensurePartitions(this.ctx, now, this.settings);
      await this.store.minutes.write(this.ctx, before);
    }
    this.store.forgetOlderThan(new Date(now.getTime() - MAX_SAMPLE_GAP_MS));
  }

  /**
   * `now`, or the receive time of the oldest sample still buffered (one that arrived while the batch
   * was written, or one put back after a failed write) when earlier: its minute is not over for the
   * sums yet, and writing it now would write the row a second time at the next flush.
   */
  private oldestBuffered(now: Date): Date {
    let oldest = now;
    for (const sample of this.pending.values()) if (sample.at < oldest) oldest = sample.at;
    return oldest;
  }

  private async writeBatch(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    const now = this.ctx.clock();
    const keepFrom = oldestWritableBucket(now);
    const written: TelemetrySample[] = [];
    let refused: unknown;
    // In slices, each its own transaction: between them the event loop answers requests (one
    // statement for thousands of agents held it for a few hundred milliseconds).
    for (let from = 0; from < batch.length; from += this.sliceSize) {
      const slice = batch.slice(from, from + this.sliceSize);
      try {
        written.push(...(await this.recordSlice(slice, now, keepFrom)));
      } catch (error) {
        if (!isDataError(error)) {
          // Not stored (connection lost): this slice and the rest wait for the next flush, unless
          // a newer sample of the agent arrived meanwhile.
          for (const sample of batch.slice(from))
            if (!this.pending.has(sample.agentId)) this.pending.set(sample.agentId, sample);
          this.publishRecorded(written);
          throw error;
        }
        // Refused data is dropped with its slice; the other slices are still written.
        refused ??= error;
      }
    }
    this.publishRecorded(written);
    if (refused) throw refused;
  }

  private async recordSlice(slice: TelemetrySample[], now: Date, keepFrom: Date): Promise<TelemetrySample[]> {
    try {
      return await this.store.record(slice, keepFrom);
    } catch (error) {
      if (!missingPartition(error)) throw error;
      await ensurePartitions(this.ctx, now, this.settings);
      return this.store.record(slice, keepFrom);
    }
  }

  /** `telemetryRecorded` once per group with the agents of `written`. */
  private publishRecorded(written: TelemetrySample[]): void {
    const byGroup = new Map<string, string[]>();
    for (const s of written) {
      const agentIds = byGroup.get(s.groupId);
      if (agentIds) agentIds.push(s.agentId);
      else byGroup.set(s.groupId, [s.agentId]);
    }
    for (const [groupId, agentIds] of byGroup)
      this.ctx.events.publish('telemetryRecorded', { groupId, agentIds });
  }
}
