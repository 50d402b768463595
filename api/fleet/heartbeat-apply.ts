/**
 * Applying one heartbeat of an authenticated agent (the heartbeat route calls this): action
 * results and drift reports written before the answer, the token-rotation step, the soft fields
 * into the heartbeat buffer (heartbeats.ts), and the answer: pending actions, self-heal, a rotated
 * token, the advertised intervals. The everyday heartbeat is applied from memory, without a promise.
 */
import type { FleetContext } from './context.ts';
import type { PendingAction, RejectedResult } from '../protocol/actions.ts';
import type { ParsedHeartbeat } from '../protocol/telemetry.ts';
import type { AgentDirectory, AgentEntry } from './agent-directory.ts';
import type { HeartbeatBuffer } from './heartbeats.ts';
import { applyActionResults } from './action-states.ts';
import { deliverToReturned, deliverActions } from './action-delivery.ts';
import { inTransaction } from './transaction.ts';
import { cachedDriftVerdict, isDrifted, recordDriftReport } from './drift.ts';
import { rotateOnHeartbeat, rotationStepDue } from './token-rotation.ts';

export interface HeartbeatOutcome {
  pendingActions: PendingAction[];
  rejectedResults: RejectedResult[];
  selfHeal: boolean;
  /** The intervals the fleet settings advertise (absent when not set: agents keep their own). */
  heartbeatIntervalSeconds?: number;
  pollIntervalSeconds?: number;
  /** A rotated token for the agent (token-rotation.ts), when one is due. */
  agentToken?: string;
}

/** One heartbeat to apply: the agent's (authenticated) entry, its body, where it reached us, and the server's parts. */
export interface HeartbeatCall {
  ctx: FleetContext;
  directory: AgentDirectory;
  buffer: HeartbeatBuffer;
  agent: AgentEntry;
  body: ParsedHeartbeat;
  /** Where the agent reached us (the URLs of delivered actions). */
  baseUrl: string;
}

/**
 * Handle one heartbeat of an authenticated agent: apply action results and record a drift report
 * durably before answering, take a token-rotation step (token-rotation.ts), buffer the soft fields
 * with the drift verdict (drift.ts), turn the actions that waited for the agent into pending ones
 * (action-delivery.ts), and return the pending actions (the database is asked only
 * when the directory says the agent may have some; `baseUrl` is where the agent reached us), the
 * group's self-heal setting, a rotated token when one is due and the intervals the fleet settings
 * advertise. Rejects when a write fails — the agent then retries and nothing is lost.
 *
 * The common heartbeat (nothing to write but the buffered row, everything it reads in memory) is
 * answered without a promise.
 */
export function applyHeartbeat(beat: HeartbeatCall): HeartbeatOutcome | Promise<HeartbeatOutcome> {
  const { ctx, directory, buffer, agent, body } = beat;
  const now = ctx.clock();
  const drifted = cachedDriftVerdict(directory, agent, body);
  const selfHeal = directory.cachedSelfHeal(agent.groupId);
  if (
    (body.actionResults && body.actionResults.length > 0) ||
    body.configDrift ||
    rotationStepDue(ctx, agent, body, now) ||
    drifted === undefined ||
    selfHeal === undefined ||
    buffer.hasWaiting(agent.id) ||
    directory.mayHavePendingActions(agent.id)
  )
    return applyHeartbeatWithDatabase(beat, now);
  buffer.add(agent, body, now, drifted);
  return outcomeOf(ctx, [], [], selfHeal, undefined);
}

function outcomeOf(
  ctx: FleetContext,
  pendingActions: PendingAction[],
  rejectedResults: RejectedResult[],
  selfHeal: boolean,
  agentToken: string | undefined,
): HeartbeatOutcome {
  const { heartbeatIntervalSeconds, pollIntervalSeconds } = ctx.tuning.current;
  return {
    pendingActions,
    rejectedResults,
    selfHeal,
    ...(agentToken ? { agentToken } : {}),
    ...(heartbeatIntervalSeconds !== null ? { heartbeatIntervalSeconds } : {}),
    ...(pollIntervalSeconds !== null ? { pollIntervalSeconds } : {}),
  };
}

async function applyHeartbeatWithDatabase(beat: HeartbeatCall, now: Date): Promise<HeartbeatOutcome> {
  const { ctx, directory, buffer, agent, body, baseUrl } = beat;
  let rejectedResults: RejectedResult[] = [];
  if (body.actionResults && body.actionResults.length > 0) {
    const results = body.actionResults;
    rejectedResults = await inTransaction(ctx, (tx, emit) =>
      applyActionResults(tx, agent.id, results, now, emit),
    );
  }
  if (body.configDrift) await recordDriftReport(ctx, agent, body.appliedConfigVersion, body.configDrift);
  const agentToken = await rotateOnHeartbeat(ctx, directory, agent, body);
  buffer.add(agent, body, now, await isDrifted(directory, agent, body));
  let pendingActions: PendingAction[] = [];
  // Back (or first seen): actions that waited for the agent become pending and go in this answer.
  const returned = buffer.takeWaiting(agent.id) ? await deliverToReturned(ctx, [agent.id]) : 0;
  if (returned > 0 || directory.mayHavePendingActions(agent.id)) {
    const mark = directory.pendingActionsMark();
    pendingActions = await deliverActions(ctx, agent.id, baseUrl);
    if (pendingActions.length === 0) directory.notePendingActionsDrained(agent.id, mark);
  }
  const selfHeal = await directory.selfHeal(agent.groupId);
  return outcomeOf(ctx, pendingActions, rejectedResults, selfHeal, agentToken);
}
