/**
 * Runs the actions the server hands out in heartbeat answers, one at a time, by type.
 *
 * Persistence rule: before a handler starts, one atomic state write records the action id as seen,
 * the action as in flight and a `running` result to report. So after any crash or restart the
 * action is neither run twice (its id is seen) nor lost (the in-flight record is resumed into a
 * final result by its handler). Results stay in the state file until a heartbeat carried them.
 */
import { type ActionResult, type PendingAction } from '../../api/protocol/actions.ts';
import { toStorableText } from '../../api/protocol/storable.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import type { AgentState, InFlightAction, StateStore } from '../state/store.ts';

export type FinalOutcome = { status: 'done' | 'failed'; result: Record<string, unknown> };
/** `restarting`: the process is about to be replaced; the next process resumes the action. */
export type ActionOutcome = FinalOutcome | { status: 'restarting' };

export interface ActionContext {
  /** Stores handler progress in the in-flight record, so a restarted process can resume from it. */
  saveDetail(detail: Record<string, unknown>): Promise<void>;
  /** Sends a heartbeat now; resolves true once one succeeded, false after `timeoutMs`. */
  heartbeatNow(timeoutMs: number): Promise<boolean>;
}

export interface ActionHandler {
  /** Runs the action. Should resolve (not reject) with a failed outcome for expected failures. */
  run(action: PendingAction, ctx: ActionContext): Promise<ActionOutcome>;
  /** For an action found in flight at start-up: its final outcome (pure; reads only `inFlight`). */
  resume(inFlight: InFlightAction): FinalOutcome;
}

export interface RunnerHooks {
  heartbeatNow(timeoutMs: number): Promise<boolean>;
  /** Ask for an early heartbeat (a result is ready). */
  nudge(): void;
  /** The handler returned `restarting`: shut the agent down so the new version can take over. */
  restart(): void;
}

const MAX_SEEN_IDS = 500;

/** Dispatches actions by type, one at a time; create one per agent process. */
export class ActionRunner {
  private busy: Promise<void> | null = null;

  constructor(
    private readonly store: StateStore,
    private readonly handlers: Record<string, ActionHandler>,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /**
   * At start-up, before the first heartbeat: turns an action left in flight by an earlier process
   * into its final result (e.g. `done` after an upgrade). Rejects only if the state cannot be written.
   */
  async resume(): Promise<void> {
    const inFlight = this.store.current.inFlight;
    if (!inFlight) return;
    const handler = this.handlers[inFlight.type];
    const outcome: FinalOutcome = handler
      ? handler.resume(inFlight)
      : { status: 'failed', result: { error: `unsupported action type "${inFlight.type}"` } };
    this.log.info('resumed in-flight action', {
      actionId: inFlight.id,
      status: outcome.status,
      ...outcome.result,
    });
    await this.store.update((s) => finish(s, inFlight.id, outcome));
  }

  /** Results to put in the next heartbeat (oldest first). */
  pendingResults(): ActionResult[] {
    return this.store.current.pendingResults;
  }

  /**
   * Call after a heartbeat succeeded with the results it carried: they are dropped from the state
   * (rejected ones too: the server will never apply them, so resending is pointless).
   */
  async acknowledge(sent: ActionResult[], rejected: { actionId: string; reason: string }[]): Promise<void> {
    for (const r of rejected) this.log.warn('server rejected an action result', r);
    if (sent.length === 0) return;
    await this.store.update((s) => {
      s.pendingResults = s.pendingResults.filter(
        (p) => !sent.some((q) => q.actionId === p.actionId && q.status === p.status),
      );
    });
  }

  /**
   * Takes the first new action from a heartbeat answer and starts it in the background; ignores
   * ids already seen and everything while another action is in flight (the server delivers pending
   * actions again until they are reported running). Resolves once the action is persisted as in
   * flight; rejects if that write fails (nothing has run then).
   */
  async receive(actions: PendingAction[], hooks: RunnerHooks): Promise<void> {
    if (this.busy || this.store.current.inFlight) return;
    const seen = new Set(this.store.current.seenActionIds);
    const action = actions.find((a) => !seen.has(a.id));
    if (!action) return;
    const inFlight: InFlightAction = {
      id: action.id,
      type: action.type,
      payload: action.payload,
      receivedAt: new Date(this.clock.now()).toISOString(),
      detail: {},
    };
    await this.store.update((s) => {
      s.seenActionIds = [...s.seenActionIds, action.id].slice(-MAX_SEEN_IDS);
      s.inFlight = inFlight;
      setResult(s, { actionId: action.id, status: 'running' });
    });
    this.log.info('action received', { actionId: action.id, type: action.type });
    hooks.nudge();
    this.busy = this.execute(action, hooks).finally(() => {
      this.busy = null;
    });
  }

  /** Resolves when no action is executing (for an orderly shutdown). Never rejects. */
  async idle(): Promise<void> {
    await this.busy;
  }

  private async execute(action: PendingAction, hooks: RunnerHooks): Promise<void> {
    const handler = this.handlers[action.type];
    let outcome: ActionOutcome;
    try {
      outcome = handler
        ? await handler.run(action, {
            heartbeatNow: (ms) => hooks.heartbeatNow(ms),
            saveDetail: (detail) =>
              this.store
                .update((s) => {
                  if (s.inFlight?.id === action.id) s.inFlight.detail = { ...s.inFlight.detail, ...detail };
                })
                .then(() => undefined),
          })
        : { status: 'failed', result: { error: `unsupported action type "${action.type}"` } };
    } catch (error) {
      outcome = { status: 'failed', result: { error: toStorableText(errorMessage(error), 2000) } };
    }
    if (outcome.status === 'restarting') {
      this.log.info('action needs a restart to finish', { actionId: action.id });
      hooks.restart();
      return;
    }
    const final = outcome;
    this.log.info('action finished', { actionId: action.id, status: final.status, ...final.result });
    try {
      await this.store.update((s) => finish(s, action.id, final));
    } catch (error) {
      this.log.error('cannot record the action result', { actionId: action.id, error });
    }
    hooks.nudge();
  }
}

function finish(s: AgentState, actionId: string, outcome: FinalOutcome): void {
  if (s.inFlight?.id === actionId) s.inFlight = null;
  setResult(s, { actionId, status: outcome.status, result: outcome.result });
}

/** Keeps one pending result per action: a later status replaces an unsent earlier one. */
function setResult(s: AgentState, result: ActionResult): void {
  s.pendingResults = [...s.pendingResults.filter((r) => r.actionId !== result.actionId), result];
}
