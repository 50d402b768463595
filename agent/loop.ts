/**
 * The one orchestrator (style rule 7). Two tasks share one enrolment session:
 *  - poll: `GET config?since=N` (a long-poll when the server offers one), hand new configs to the
 *    applier, record the outcome keyed by config version, and poll again at once; a confirmed
 *    apply is reported right away and watched on: a crash in the check window rolls back and
 *    reports again (the next apply waits for that watch);
 *  - heartbeat: on the heartbeat interval, and early when something changed (config applied or
 *    rejected, Vector exited, an action result is ready); hands pending actions to the runner;
 *    the intervals a heartbeat answer advertises replace the settings' (policy.ts ServerIntervals).
 * When to poll and heartbeat, how to back off and when the token counts as revoked is agent/policy.ts
 * (shared with the simulator). On revoke both tasks stop and the loop waits for a new enrolment
 * while Vector keeps running. Each heartbeat first checks vector.yaml for drift (apply/drift.ts,
 * never during an apply), and adopts a rotated token from the answer (stored before it is used).
 * No I/O of its own: everything goes through the injected parts.
 */
import { Capability, type HeartbeatRequest } from '../api/protocol/v1.ts';
import { type ActionResult } from '../api/protocol/actions.ts';
import type { Telemetry } from '../api/protocol/telemetry.ts';
import type { ActionRunner, RunnerHooks } from './actions/runner.ts';
import type { ApplyOutcome, RolledBack } from './apply/apply.ts';
import type { DriftCheck, DriftWatch } from './apply/drift.ts';
import type { AppliedFile } from './apply/file-hash.ts';
import type { Clock } from './clock.ts';
import { Wakeable, sleep } from './clock.ts';
import type { Logger } from './log.ts';
import { errorMessage } from './log.ts';
import type { StateStore } from './state/store.ts';
import type { VectorEvent } from './supervisor/vector.ts';
import {
  HeartbeatPolicy,
  TelemetrySchedule,
  MIN_HEARTBEAT_GAP_MS,
  PollPolicy,
  ServerIntervals,
  afterApply,
  postApplyHeartbeatDelay,
  type ReportedConfig,
} from './policy.ts';
import type { Backoff } from './transport/backoff.ts';
import type { AgentClient, ConfigAnswer, Credentials, Outcome } from './transport/client.ts';

export interface LoopOptions {
  store: StateStore;
  client: Pick<AgentClient, 'pollConfig' | 'heartbeat'>;
  applier: { apply(version: number, body: string): Promise<ApplyOutcome>; startFromDisk(): Promise<boolean> };
  supervisor: {
    readonly running: boolean;
    uptimeSeconds(): number;
    onEvent(fn: (e: VectorEvent) => void): () => void;
  };
  actions: ActionRunner;
  /** Checks vector.yaml before each heartbeat; absent: no drift fields are sent. */
  drift?: Pick<DriftWatch, 'check' | 'acknowledge'>;
  clock: Clock;
  random: () => number;
  newBackoff: () => Backoff;
  log: Logger;
  agentVersion: string;
  vectorVersion: () => string;
  pollIntervalMs: number;
  heartbeatIntervalMs: number;
  longPollSeconds: number;
  /** How often to look for an enrolment while not enrolled (or after a revoke). */
  enrolmentCheckMs: number;
  /** Telemetry for each heartbeat (agent/telemetry); never rejects. None: heartbeats carry none. */
  telemetry?: () => Promise<Telemetry>;
  /** Tries to enrol from settings when not enrolled; resolves true on success. */
  autoEnrol?: (signal: AbortSignal) => Promise<boolean>;
}

/** What the agent reported before an apply, to go back to when Vector dies on it later. */
type Reported = ReportedConfig & { etag: string | null; file: AppliedFile | null };

/** Why run() returned: asked to stop, or an action (upgrade) needs the process replaced. */
export type LoopEnd = 'stopped' | 'restart';

/** The agent's main loop; create one per `run`, call run() once. */
export class AgentLoop {
  private readonly heartbeatWake: Wakeable;
  private readonly restart = new AbortController();
  private heartbeatWaiters: ((ok: boolean) => void)[] = [];
  private lastError = '';
  /** The crash watch of the last confirmed apply; the next apply waits for it. */
  private watching: Promise<void> = Promise.resolve();
  /** Applies and drift checks take turns (a check must never see a half-done apply). */
  private configTurn: Promise<unknown> = Promise.resolve();
  /** The group's self-heal setting from the last heartbeat answer (absent: true). */
  private selfHeal = true;
  /** The intervals in effect: advertised by the last heartbeat answer, else the settings'. */
  private readonly intervals = new ServerIntervals(() => ({
    heartbeatIntervalMs: this.o.heartbeatIntervalMs,
    pollIntervalMs: this.o.pollIntervalMs,
  }));

  constructor(private readonly o: LoopOptions) {
    this.heartbeatWake = new Wakeable(o.clock);
  }

  /**
   * Runs until `signal` aborts (→ 'stopped') or an action asks for a restart (→ 'restart').
   * Starts Vector on the config already on disk first. Rejects only if the state file cannot be
   * written at start-up.
   */
  async run(signal: AbortSignal): Promise<LoopEnd> {
    const stop = AbortSignal.any([signal, this.restart.signal]);
    await this.o.actions.resume();
    await this.o.applier.startFromDisk().catch((error) => this.o.log.error('cannot start vector', { error }));
    const unsubscribe = this.o.supervisor.onEvent((event) => {
      if (event.type === 'exited' && !event.expected) this.heartbeatWake.wake();
    });
    try {
      let revokedId: string | undefined;
      while (!stop.aborted) {
        const creds = await this.waitForEnrolment(revokedId, stop);
        if (!creds) break;
        this.o.log.info('session started', { agentId: creds.agentId, apiUrl: creds.apiUrl });
        if ((await this.session(creds, stop)) === 'revoked') {
          revokedId = creds.agentId;
          this.o.log.error('agent token revoked, re-enrol', { agentId: creds.agentId });
          await this.noteError('agent token revoked, re-enrol (flotilla-agent enrol …)');
        }
      }
    } finally {
      unsubscribe();
    }
    return this.restart.signal.aborted ? 'restart' : 'stopped';
  }

  private async waitForEnrolment(
    revokedId: string | undefined,
    stop: AbortSignal,
  ): Promise<Credentials | null> {
    const backoff = this.o.newBackoff();
    let announced = false;
    while (!stop.aborted) {
      const creds = await this.o.store.readCredentials();
      if (creds && creds.agentId !== revokedId) {
        // `enrol` ran in another process and reset state.json for the new identity: read it back.
        if (announced) await this.o.store.load();
        return creds;
      }
      if (!creds && this.o.autoEnrol && (await this.o.autoEnrol(stop))) continue;
      if (!announced) {
        this.o.log.info(
          revokedId ? 'waiting for a new enrolment' : 'not enrolled yet: run `flotilla-agent enrol`',
        );
        announced = true;
      }
      const wait =
        this.o.autoEnrol && !creds
          ? Math.max(this.o.enrolmentCheckMs, backoff.next())
          : this.o.enrolmentCheckMs;
      await sleep(this.o.clock, wait, stop);
    }
    return null;
  }

  private async session(creds: Credentials, stop: AbortSignal): Promise<'revoked' | 'stopped'> {
    const session = new AbortController();
    const signal = AbortSignal.any([stop, session.signal]);
    let revoked = false;
    const onRevoked = (): void => {
      revoked = true;
      session.abort();
    };
    await Promise.all([
      this.pollTask(creds, signal, onRevoked),
      this.heartbeatTask(creds, signal, onRevoked),
    ]);
    return revoked ? 'revoked' : 'stopped';
  }

  private async pollTask(creds: Credentials, signal: AbortSignal, onRevoked: () => void): Promise<void> {
    const policy = new PollPolicy(this.o.newBackoff(), this.o.random);
    const tuning = () => ({
      pollIntervalMs: this.intervals.pollIntervalMs,
      longPollSeconds: this.o.longPollSeconds,
    });
    while (!signal.aborted) {
      const query = policy.query(this.o.store.current, tuning());
      const started = this.o.clock.now();
      const outcome = await this.o.client.pollConfig(creds, query, signal);
      if (signal.aborted) return;
      const heldMs = this.o.clock.now() - started;
      const applyFailed =
        outcome.kind === 'ok' && outcome.value.kind === 'config'
          ? !(await this.applyConfig(outcome.value, query.since))
          : false;
      const next = policy.next(query, outcome, tuning(), heldMs, applyFailed);
      if (next.kind === 'revoked') return onRevoked();
      if (outcome.kind !== 'ok') await this.failed('config poll', outcome, next.ms, policy.attempts);
      await sleep(this.o.clock, next.ms, signal);
    }
  }

  /** Applies one config answer and records the outcome; false on a local failure (retry later). */
  private async applyConfig(
    answer: Extract<ConfigAnswer, { kind: 'config' }>,
    since: number,
  ): Promise<boolean> {
    await this.watching;
    const current = this.o.store.current;
    const before: Reported = {
      appliedConfigVersion: current.appliedConfigVersion,
      configError: current.configError,
      etag: current.appliedEtag,
      file: current.appliedFile,
    };
    let outcome: ApplyOutcome;
    try {
      outcome = await this.exclusive(() => this.o.applier.apply(answer.version, answer.body));
    } catch (error) {
      this.o.log.error('config apply failed on this host', { version: answer.version, error });
      await this.noteError(`applying config version ${answer.version} failed: ${errorMessage(error)}`);
      return false;
    }
    const error = outcome.kind === 'applied' ? undefined : outcome.message;
    await this.o.store.update((s) => {
      Object.assign(s, afterApply(s, answer.version, since, error));
      if (outcome.kind === 'applied') {
        s.appliedEtag = answer.etag ?? null;
        s.appliedFile = outcome.file;
      }
    });
    this.reportSoon();
    if (outcome.kind === 'applied' && outcome.watch)
      this.watching = outcome.watch.then(
        (late) => (late ? this.rolledBackLate(late, before, since) : undefined),
        (error: unknown) => this.o.log.error('restoring the previous config failed', { error }),
      );
    return true;
  }

  /** Vector died on a config after confirming it: report the rollback instead of the apply. */
  private async rolledBackLate(late: RolledBack, before: Reported, since: number): Promise<void> {
    await this.o.store
      .update((s) => {
        Object.assign(s, afterApply(before, late.version, since, late.message));
        s.appliedEtag = before.etag;
        s.appliedFile = before.file;
      })
      .catch((error) => this.o.log.error('cannot record the rollback', { error }));
    this.heartbeatWake.wake();
  }

  /** Wake the heartbeat after a random share of POST_APPLY_SPREAD_MS (a fleet's reports spread out). */
  private reportSoon(): void {
    this.o.clock.setTimeout(() => this.heartbeatWake.wake(), postApplyHeartbeatDelay(this.o.random));
  }

  private async heartbeatTask(creds: Credentials, signal: AbortSignal, onRevoked: () => void): Promise<void> {
    const policy = new HeartbeatPolicy(this.o.newBackoff(), this.o.random);
    const telemetrySchedule = new TelemetrySchedule();
    const hooks: RunnerHooks = {
      heartbeatNow: (ms) => this.heartbeatNow(ms),
      nudge: () => this.heartbeatWake.wake(),
      restart: () => this.restart.abort(),
    };
    while (!signal.aborted) {
      const sent: ActionResult[] = [...this.o.actions.pendingResults()];
      const withTelemetry = telemetrySchedule.take(this.o.clock.now(), this.intervals.heartbeatIntervalMs);
      const telemetry = withTelemetry ? await this.o.telemetry?.() : undefined;
      const drift = await this.exclusive(async () => (await this.o.drift?.check(this.selfHeal)) ?? {});
      const outcome = await this.o.client.heartbeat(
        creds,
        this.heartbeatBody(sent, drift, telemetry),
        signal,
      );
      if (signal.aborted) return;
      if (outcome.kind === 'ok') this.intervals.adopt(outcome.value);
      const next = policy.next(outcome, this.intervals.heartbeatIntervalMs);
      if (next.kind === 'revoked') return onRevoked();
      if (outcome.kind === 'ok') {
        this.selfHeal = outcome.value.selfHeal ?? true;
        this.o.drift?.acknowledge(drift.configDrift);
        if (outcome.value.agentToken) await this.adoptToken(creds, outcome.value.agentToken);
        await this.o.actions
          .acknowledge(sent, outcome.value.rejectedResults)
          .catch((error) => this.o.log.error('cannot record acknowledged results', { error }));
        this.resolveHeartbeatWaiters();
        await this.o.actions
          .receive(outcome.value.pendingActions, hooks)
          .catch((error) => this.o.log.error('cannot accept an action', { error }));
        // A wake-up (something changed) ends the wait early, but not before the minimum gap.
        await sleep(this.o.clock, MIN_HEARTBEAT_GAP_MS, signal);
        await this.heartbeatWake.wait(next.ms - MIN_HEARTBEAT_GAP_MS, signal);
      } else {
        await this.failed('heartbeat', outcome, next.ms, policy.attempts);
        await sleep(this.o.clock, next.ms, signal);
      }
    }
  }

  /** A rotated token: stored atomically, then used; if the write fails the old token stays in use. */
  private async adoptToken(creds: Credentials, token: string): Promise<void> {
    try {
      await this.o.store.writeToken(token);
    } catch (error) {
      this.o.log.error('cannot store the rotated agent token, keeping the old one', { error });
      return;
    }
    creds.agentToken = token;
    this.o.log.info('agent token rotated', { agentId: creds.agentId });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.configTurn.then(work, work);
    this.configTurn = turn.catch(() => undefined);
    return turn;
  }

  private heartbeatBody(
    results: ActionResult[],
    drift: DriftCheck,
    telemetry: Telemetry | undefined,
  ): HeartbeatRequest {
    const s = this.o.store.current;
    return {
      agentVersion: this.o.agentVersion,
      vectorVersion: this.o.vectorVersion(),
      appliedConfigVersion: s.appliedConfigVersion,
      vectorRunning: this.o.supervisor.running,
      vectorUptimeSeconds: Math.floor(this.o.supervisor.uptimeSeconds()),
      configError: s.configError,
      ...(results.length > 0 ? { actionResults: results } : {}),
      ...(telemetry ? { telemetry } : {}),
      ...drift,
      capabilities: [Capability.tokenRotation],
    };
  }

  private heartbeatNow(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.o.clock.setTimeout(() => finish(false), timeoutMs);
      const finish = (ok: boolean): void => {
        this.o.clock.clearTimeout(timer);
        this.heartbeatWaiters = this.heartbeatWaiters.filter((w) => w !== finish);
        resolve(ok);
      };
      this.heartbeatWaiters.push(finish);
      this.heartbeatWake.wake();
    });
  }

  private resolveHeartbeatWaiters(): void {
    for (const waiter of [...this.heartbeatWaiters]) waiter(true);
  }

  private async failed(
    what: string,
    outcome: Outcome<unknown>,
    delay: number,
    attempt: number,
  ): Promise<void> {
    if (outcome.kind === 'ok') return;
    const log = attempt === 1 || attempt % 10 === 0 ? this.o.log.warn : this.o.log.debug;
    log(`${what} failed`, { kind: outcome.kind, error: outcome.message, retryInMs: delay, attempt });
    await this.noteError(`${what}: ${outcome.message}`);
  }

  private async noteError(message: string): Promise<void> {
    if (message === this.lastError) return;
    this.lastError = message;
    await this.o.store
      .update((s) => {
        s.lastError = { at: new Date(this.o.clock.now()).toISOString(), message };
      })
      .catch((error) => this.o.log.warn('cannot record the last error', { error }));
  }
}
