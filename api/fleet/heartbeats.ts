/**
 * Heartbeats. The soft fields (last seen, versions, uptime, running, config error) are buffered
 * and written for all agents in one UPDATE per flush; action results are written at once, in the
 * request, so none is ever lost. See README → "Hot paths".
 */
import type { FleetContext } from './context.ts';
import type { HeartbeatRequest, PendingAction, RejectedResult } from '../protocol/v1.ts';
import type { AgentDirectory, AgentEntry } from './agent-directory.ts';
import { applyActionResults, pendingActionsFor } from './actions.ts';
import { inTransaction } from './transaction.ts';

interface SoftRow {
  groupId: string;
  seenAt: string;
  agentVersion: string;
  vectorVersion: string;
  appliedConfigVersion: number;
  vectorRunning: boolean;
  vectorStartedAt: string | null;
  configErrorVersion: number | null;
  configErrorMessage: string | null;
}

const FLUSH_SQL = `
UPDATE agents AS a SET
  last_heartbeat_at = v.seen_at::timestamptz,
  agent_version = v.agent_version,
  vector_version = v.vector_version,
  applied_config_version = CASE WHEN a.config_reset_pending THEN 0 ELSE v.applied END,
  vector_running = v.running,
  vector_started_at = v.started_at::timestamptz,
  went_offline_at = NULL,
  config_error_version = v.error_version,
  config_error_message = v.error_message,
  updated_at = now()
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bool[], $7::text[], $8::int[], $9::text[])
  AS v(id, seen_at, agent_version, vector_version, applied, running, started_at, error_version, error_message)
WHERE a.id = v.id AND a.revoked_at IS NULL`;

export class HeartbeatBuffer {
  private pending = new Map<string, SoftRow>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: FleetContext,
    private readonly flushMs: number,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Remember the newest soft fields of one agent until the next flush. Never touches the database. */
  add(agent: AgentEntry, body: HeartbeatRequest, now: Date): void {
    this.pending.set(agent.id, {
      groupId: agent.groupId,
      seenAt: now.toISOString(),
      agentVersion: body.agentVersion,
      vectorVersion: body.vectorVersion,
      appliedConfigVersion: body.appliedConfigVersion,
      vectorRunning: body.vectorRunning,
      vectorStartedAt: body.vectorRunning
        ? new Date(now.getTime() - body.vectorUptimeSeconds * 1000).toISOString()
        : null,
      configErrorVersion: body.configError?.version ?? null,
      configErrorMessage: body.configError?.message ?? null,
    });
  }

  /** Number of agents waiting for the next flush. */
  get size(): number {
    return this.pending.size;
  }

  /** Flush every `flushMs` until stop(). */
  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  /** Stop the timer and write what is buffered. Rejects when that last write fails. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush({ rethrow: true });
  }

  /**
   * Write everything buffered in one statement, then publish agentUpdated for each agent. Flushes
   * never overlap. On failure the rows go back into the buffer (newer heartbeats win) and the
   * error is reported through onError (or rethrown when asked).
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
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const ids = [...batch.keys()];
    const rows = [...batch.values()];
    try {
      await this.ctx.db.$executeRawUnsafe(
        FLUSH_SQL,
        ids,
        rows.map((r) => r.seenAt),
        rows.map((r) => r.agentVersion),
        rows.map((r) => r.vectorVersion),
        rows.map((r) => r.appliedConfigVersion),
        rows.map((r) => r.vectorRunning),
        rows.map((r) => r.vectorStartedAt),
        rows.map((r) => r.configErrorVersion),
        rows.map((r) => r.configErrorMessage),
      );
    } catch (error) {
      for (const [id, row] of batch) if (!this.pending.has(id)) this.pending.set(id, row);
      throw error;
    }
    for (let i = 0; i < ids.length; i++) {
      this.ctx.events.publish('agentUpdated', {
        agentId: ids[i],
        groupId: rows[i].groupId,
        change: 'heartbeat',
      });
    }
  }
}

export interface HeartbeatOutcome {
  pendingActions: PendingAction[];
  rejectedResults: RejectedResult[];
}

/**
 * Handle one heartbeat of an authenticated agent: buffer the soft fields, apply action results
 * durably before answering, and return the pending actions (the database is asked only when the
 * directory says the agent may have some; `baseUrl` is where the agent reached us). Rejects when writing the results fails — the agent
 * then retries and nothing is lost.
 */
export async function applyHeartbeat(
  ctx: FleetContext,
  directory: AgentDirectory,
  buffer: HeartbeatBuffer,
  agent: AgentEntry,
  body: HeartbeatRequest,
  baseUrl: string,
): Promise<HeartbeatOutcome> {
  const now = ctx.clock();
  let rejectedResults: RejectedResult[] = [];
  if (body.actionResults && body.actionResults.length > 0) {
    const results = body.actionResults;
    rejectedResults = await inTransaction(ctx, (tx, emit) =>
      applyActionResults(tx, agent.id, results, now, emit),
    );
  }
  buffer.add(agent, body, now);
  let pendingActions: PendingAction[] = [];
  if (directory.mayHavePendingActions(agent.id)) {
    const mark = directory.pendingActionsMark();
    pendingActions = await pendingActionsFor(ctx, agent.id, baseUrl);
    if (pendingActions.length === 0) directory.notePendingActionsDrained(agent.id, mark);
  }
  return { pendingActions, rejectedResults };
}
