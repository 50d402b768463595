/**
 * Heartbeats. The soft fields (last seen, versions, uptime, running, config error, when the applied
 * version last changed) are buffered and written for all agents in one UPDATE per flush; so are the
 * config deliveries (the version each agent's last 200 carried, config.ts), in one more UPDATE per
 * flush, never a write per poll. Action results are written at once, in the request, so none is
 * ever lost (heartbeat-apply.ts applies one heartbeat). See README → "Hot paths".
 */
import type { FleetContext } from './context.ts';
import type { ParsedHeartbeat, Telemetry } from '../protocol/telemetry.ts';
import type { AgentEntry } from './agent-directory.ts';
import { versionKey } from './sort-keys.ts';

/** One agent's newest heartbeat until the flush; times as epoch milliseconds, formatted by the flush. */
interface SoftRow {
  groupId: string;
  seenAtMs: number;
  agentVersion: string;
  vectorVersion: string;
  agentVersionKey: string | null;
  vectorVersionKey: string | null;
  appliedConfigVersion: number;
  vectorRunning: boolean;
  vectorStartedAtMs: number | null;
  configErrorVersion: number | null;
  configErrorMessage: string | null;
  runningConfigSha256: string | null;
  /** drift.ts → isDrifted: null when it cannot be told (then not marked drifted). */
  drifted: boolean | null;
}

const FLUSH_SQL = `
UPDATE agents AS a SET
  last_heartbeat_at = v.seen_at::timestamptz,
  agent_version = v.agent_version,
  vector_version = v.vector_version,
  applied_config_version = CASE WHEN a.config_reset_pending THEN 0 ELSE v.applied END,
  applied_at = CASE
    WHEN a.config_reset_pending OR v.applied = 0 THEN NULL
    WHEN a.applied_config_version = v.applied THEN COALESCE(a.applied_at, v.seen_at::timestamptz)
    ELSE v.seen_at::timestamptz END,
  vector_running = v.running,
  vector_started_at = v.started_at::timestamptz,
  went_offline_at = NULL,
  config_error_at = CASE
    WHEN v.error_version IS NULL THEN NULL
    WHEN a.config_error_at IS NOT NULL AND a.config_error_version = v.error_version
      AND a.config_error_message IS NOT DISTINCT FROM v.error_message THEN a.config_error_at
    ELSE v.seen_at::timestamptz END,
  config_error_version = v.error_version,
  config_error_message = v.error_message,
  agent_version_key = v.agent_version_key,
  vector_version_key = v.vector_version_key,
  running_config_sha256 = v.running_sha256,
  config_drifted_at = CASE WHEN v.drifted THEN COALESCE(a.config_drifted_at, v.seen_at::timestamptz) END,
  updated_at = now()
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bool[], $7::text[], $8::int[], $9::text[],
    $10::text[], $11::text[], $12::text[], $13::bool[])
  AS v(id, seen_at, agent_version, vector_version, applied, running, started_at, error_version, error_message,
    agent_version_key, vector_version_key, running_sha256, drifted)
WHERE a.id = v.id AND a.revoked_at IS NULL`;

type Entry = [agentId: string, row: SoftRow];

/** A 200 the config route answered: the version, when, and the group it was for. */
interface Delivery {
  groupId: string;
  version: number;
  at: string;
}

/** Deliveries of an agent's former group (it moved since) are not written. */
const DELIVERED_SQL = `
UPDATE agents AS a SET delivered_config_version = v.version, delivered_at = v.at::timestamptz, updated_at = now()
FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[]) AS v(id, group_id, version, at)
WHERE a.id = v.id AND a.group_id = v.group_id AND a.revoked_at IS NULL`;

/** A buffered row the database refused (bad data, not a lost connection); it is dropped. */
export interface RejectedRow {
  agentId: string;
  error: Error;
  /** False when this agent's rows were already refused since its last stored heartbeat. */
  firstSinceStored: boolean;
}

/**
 * SQLSTATE classes that blame the data of a statement, not the connection: 22 data exception
 * (NUL in text, integer or timestamp out of range), 23 integrity constraint, 54 program limit.
 */
const DATA_ERROR_CLASSES = new Set(['22', '23', '54']);

/**
 * The SQLSTATE in a Prisma error (`meta.driverAdapterError.cause.originalCode`), a driver-adapter
 * error or a raw pg / PGlite error, if any.
 */
function sqlState(error: unknown): string | undefined {
  let e: unknown = error;
  for (let hops = 0; e && typeof e === 'object' && hops < 6; hops++) {
    const o = e as Record<string, unknown>;
    for (const code of [o.originalCode, o.code]) {
      if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('P')) return code;
    }
    e = o.meta ?? o.driverAdapterError ?? o.cause;
  }
  return undefined;
}

/** Whether the database refused the data of a statement (not the connection): see DATA_ERROR_CLASSES. */
export function isDataError(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && DATA_ERROR_CLASSES.has(state.slice(0, 2));
}

export class HeartbeatBuffer {
  private pending = new Map<string, SoftRow>();
  private delivered = new Map<string, Delivery>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Agents whose rows were refused since their last stored heartbeat (logged once each). */
  private readonly refused = new Set<string>();
  /** Agents that may have `waiting` actions (told by actionUpdated; the sweep heals a lost event). */
  private readonly waiting = new Set<string>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ctx: FleetContext,
    private readonly flushMs: number,
    private readonly onError: (error: Error) => void,
    private readonly onRowRejected: (rejection: RejectedRow) => void = () => undefined,
    /** Receives each heartbeat's parsed telemetry (the telemetry buffer, fleet/telemetry/ingest.ts). */
    private readonly onTelemetry: (agent: AgentEntry, telemetry: Telemetry, now: Date) => void = () =>
      undefined,
    /** Told each non-empty flush's duration in seconds (for /metrics), whether it succeeded or not. */
    private readonly onFlushed: (seconds: number) => void = () => undefined,
  ) {}

  /** Remember the newest soft fields of one agent until the next flush. Never touches the database. */
  add(agent: AgentEntry, body: ParsedHeartbeat, now: Date, drifted: boolean | null = null): void {
    this.pending.set(agent.id, {
      groupId: agent.groupId,
      seenAtMs: now.getTime(),
      agentVersion: body.agentVersion,
      vectorVersion: body.vectorVersion,
      agentVersionKey: versionKey(body.agentVersion),
      vectorVersionKey: versionKey(body.vectorVersion),
      appliedConfigVersion: body.appliedConfigVersion,
      vectorRunning: body.vectorRunning,
      vectorStartedAtMs: body.vectorRunning ? now.getTime() - body.vectorUptimeSeconds * 1000 : null,
      configErrorVersion: body.configError?.version ?? null,
      configErrorMessage: body.configError?.message ?? null,
      runningConfigSha256: body.runningConfigSha256 ?? null,
      drifted,
    });
    if (body.telemetry) this.onTelemetry(agent, body.telemetry, now);
  }

  /**
   * Remember that the config route answered `agent` a 200 with `version` at `now`, until the next
   * flush (the newest delivery of an agent wins). Never touches the database.
   */
  noteDelivered(agent: AgentEntry, version: number, now: Date): void {
    this.delivered.set(agent.id, { groupId: agent.groupId, version, at: now.toISOString() });
  }

  /** Number of agents waiting for the next flush. */
  get size(): number {
    return this.pending.size;
  }

  /** Flush every `flushMs` until stop(), and follow which agents have actions waiting for them. */
  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
    this.unsubscribe = this.ctx.events.subscribe('actionUpdated', ({ agentId, status }) => {
      if (status === 'waiting') this.waiting.add(agentId);
    });
  }

  /** True (once) when the agent may have actions waiting for it to come back. */
  takeWaiting(agentId: string): boolean {
    return this.waiting.delete(agentId);
  }

  /** Whether the agent may have `waiting` actions (takeWaiting without taking). */
  hasWaiting(agentId: string): boolean {
    return this.waiting.has(agentId);
  }

  /** Stop the timer and write what is buffered. Rejects when that last write fails. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    clearInterval(this.timer);
    await this.flush({ rethrow: true });
  }

  /**
   * Write the buffered heartbeats in one statement and the buffered deliveries in one more, then
   * publish one agentsSeen naming the agents written. Flushes never overlap. When the database refuses the data of the batch, the batch is split in halves
   * down to single rows so one bad row cannot sink the others; a single refused row is dropped and
   * reported through onRowRejected. When the write fails otherwise (connection lost), the unwritten
   * rows go back into the buffer (newer heartbeats win) and the error is reported through onError
   * (or rethrown when asked).
   */
  flush(options: { rethrow?: boolean } = {}): Promise<void> {
    const run = this.flushing.then(() => this.writeBatch());
    this.flushing = run.catch(() => undefined);
    return run.catch((error: Error) => {
      this.onError(error);
      if (options.rethrow) throw error;
    });
  }

  private async writeBatch(): Promise<void> {
    const seen = new Map<string, string>();
    try {
      await this.writeHeartbeats(seen);
      await this.writeDeliveries(seen);
    } finally {
      if (seen.size > 0)
        this.ctx.events.publish('agentsSeen', { agentIds: [...seen.keys()], groupIds: [...seen.values()] });
    }
  }

  /** Write the buffered deliveries; on failure they go back (newer ones win) and the error propagates. */
  private async writeDeliveries(seen: Map<string, string>): Promise<void> {
    if (this.delivered.size === 0) return;
    const batch = [...this.delivered];
    this.delivered = new Map();
    try {
      await this.ctx.db.$executeRawUnsafe(
        DELIVERED_SQL,
        batch.map(([id]) => id),
        batch.map(([, d]) => d.groupId),
        batch.map(([, d]) => d.version),
        batch.map(([, d]) => d.at),
      );
    } catch (error) {
      for (const [id, d] of batch) if (!this.delivered.has(id)) this.delivered.set(id, d);
      throw error;
    }
    for (const [id, d] of batch) seen.set(id, d.groupId);
  }

  /** Write the buffered heartbeats (see flush); names the agents written in `seen`. */
  private async writeHeartbeats(seen: Map<string, string>): Promise<void> {
    if (this.pending.size === 0) return;
    const batch: Entry[] = [...this.pending];
    this.pending = new Map();
    const done = new Set<string>();
    const written: Entry[] = [];
    const started = process.hrtime.bigint();
    try {
      await this.writeIsolating(batch, written, done);
    } catch (error) {
      for (const [id, row] of batch) if (!done.has(id) && !this.pending.has(id)) this.pending.set(id, row);
      throw error;
    } finally {
      this.onFlushed(Number(process.hrtime.bigint() - started) / 1e9);
      for (const [agentId, row] of written) {
        this.refused.delete(agentId);
        seen.set(agentId, row.groupId);
      }
    }
  }

  /** Write `rows`; on a data error bisect, dropping single rows the database refuses. */
  private async writeIsolating(rows: Entry[], written: Entry[], done: Set<string>): Promise<void> {
    try {
      await this.write(rows);
    } catch (error) {
      if (!isDataError(error)) throw error;
      if (rows.length === 1) {
        const [agentId] = rows[0];
        done.add(agentId);
        const firstSinceStored = !this.refused.has(agentId);
        this.refused.add(agentId);
        this.onRowRejected({ agentId, error: error as Error, firstSinceStored });
        return;
      }
      const half = Math.ceil(rows.length / 2);
      await this.writeIsolating(rows.slice(0, half), written, done);
      await this.writeIsolating(rows.slice(half), written, done);
      return;
    }
    for (const entry of rows) {
      done.add(entry[0]);
      written.push(entry);
    }
  }

  private async write(entries: Entry[]): Promise<void> {
    const rows = entries.map((e) => e[1]);
    await this.ctx.db.$executeRawUnsafe(
      FLUSH_SQL,
      entries.map((e) => e[0]),
      rows.map((r) => new Date(r.seenAtMs).toISOString()),
      rows.map((r) => r.agentVersion),
      rows.map((r) => r.vectorVersion),
      rows.map((r) => r.appliedConfigVersion),
      rows.map((r) => r.vectorRunning),
      rows.map((r) => (r.vectorStartedAtMs === null ? null : new Date(r.vectorStartedAtMs).toISOString())),
      rows.map((r) => r.configErrorVersion),
      rows.map((r) => r.configErrorMessage),
      rows.map((r) => r.agentVersionKey),
      rows.map((r) => r.vectorVersionKey),
      rows.map((r) => r.runningConfigSha256),
      rows.map((r) => r.drifted),
    );
  }
}
