/**
 * The telemetry buffer: heartbeats hand over their parsed telemetry (never touching the database
 * on the agent's request path), and every flush interval the newest sample of each agent is
 * recorded in one transaction (store.ts). Published after the commit: `telemetryRecorded`, once
 * per group with the agents recorded, which the live chart subscriptions follow.
 */
import type { FleetContext } from '../context.ts';
import type { AgentEntry } from '../agent-directory.ts';
import type { Telemetry } from '../../protocol/telemetry.ts';
import type { TelemetrySettings } from '../../config.ts';
import { ensurePartitions, oldestWritableBucket } from './partitions.ts';
import { recordSamples, type TelemetrySample } from './store.ts';
import { isDataError } from '../heartbeats.ts';

/** SQLSTATE 23514 with "no partition": a row fell outside every existing partition. */
function missingPartition(error: unknown): boolean {
  const text = String((error as Error)?.message ?? '') + JSON.stringify(error ?? {});
  return /no partition of relation/.test(text);
}

export class TelemetryBuffer {
  private pending = new Map<string, TelemetrySample>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: FleetContext,
    private readonly settings: TelemetrySettings,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Keep the newest telemetry of `agent` (received at `now`) until the next flush. Never touches the database. */
  add(agent: AgentEntry, telemetry: Telemetry, now: Date): void {
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

  /** Stop the timer and write what is buffered; a failing last write is reported through onError. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /**
   * Write everything buffered. Flushes never overlap. A missing partition (the clock passed the
   * days created ahead) is created and the write retried once. When the database refuses the data
   * (e.g. a sum out of range) the batch is dropped; when the write fails otherwise (connection
   * lost), the samples go back into the buffer unless a newer one arrived. Errors go to onError.
   */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.writeBatch());
    this.flushing = run.catch(() => undefined);
    return run.catch((error: Error) => this.onError(error));
  }

  private async writeBatch(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    const now = this.ctx.clock();
    const keepFrom = oldestWritableBucket(now);
    let written: TelemetrySample[];
    try {
      try {
        written = await recordSamples(this.ctx, batch, keepFrom);
      } catch (error) {
        if (!missingPartition(error)) throw error;
        await ensurePartitions(this.ctx, now, this.settings);
        written = await recordSamples(this.ctx, batch, keepFrom);
      }
    } catch (error) {
      if (isDataError(error)) throw error;
      for (const sample of batch)
        if (!this.pending.has(sample.agentId)) this.pending.set(sample.agentId, sample);
      throw error;
    }
    const byGroup = new Map<string, string[]>();
    for (const s of written) byGroup.set(s.groupId, [...(byGroup.get(s.groupId) ?? []), s.agentId]);
    for (const [groupId, agentIds] of byGroup)
      this.ctx.events.publish('telemetryRecorded', { groupId, agentIds });
  }
}
