/**
 * THE agent's poll and heartbeat policy, used by agent/loop.ts and by the simulator's virtual
 * agents alike (a second copy is a bug even when it agrees today). Pure: no I/O, no timers; the
 * caller measures time and passes random and the backoffs in, and waits the delays it gets back.
 *
 * Polling: `since` is the highest version applied or rejected; a config answered at or below
 * `since` is a reset (the agent moved group). A poll long-polls once the server advertised it
 * (x-long-poll-max), asking for min(offer, own setting). After an unchanged answer the next poll
 * follows at once when it will be a long-poll (unless a long-poll came back in under a second),
 * else after the poll interval ± 10 %; after a config answer it follows at once (a change made
 * seconds after the previous one must not wait a poll interval). Failures back off (Retry-After
 * honoured); 401/403 means the token was revoked: stop.
 *
 * Intervals: the heartbeat and poll intervals a heartbeat answer advertises (fleet settings) win
 * over the agent's own, clamped into the protocol's bounds; an answer without them brings the
 * agent's own back (ServerIntervals).
 *
 * Heartbeats: the first right away, the second at a random phase of the interval (a fleet
 * enrolled in a burst spreads out), then every interval ± 10 %; early when something changed,
 * but never sooner than MIN_HEARTBEAT_GAP_MS after the previous answer. The early heartbeat that
 * reports an applied config waits a random share of POST_APPLY_SPREAD_MS, so a fleet's reports do
 * not compete with the config answers still going out. Telemetry rides on the regular heartbeats
 * only (TelemetrySchedule): an early one within TELEMETRY_MIN_SHARE of an interval of the last
 * telemetry carries none, so a fleet reporting a change sends the server small heartbeats.
 */
import { HEARTBEAT_INTERVAL_BOUNDS_SECONDS, POLL_INTERVAL_BOUNDS_SECONDS } from '../api/protocol/v1.ts';
import type { Backoff, BackoffPolicy } from './transport/backoff.ts';
import type { ConfigAnswer, Outcome } from './transport/client.ts';

/** Share of an interval that is randomised either way: 0.1 → interval × [0.9, 1.1). */
export const INTERVAL_JITTER = 0.1;
/** The least time between the answer of one heartbeat and the next heartbeat. */
export const MIN_HEARTBEAT_GAP_MS = 200;
/** A long-poll answered faster than this was not held: wait the poll interval before the next. */
export const HELD_POLL_MS = 1000;
/** The early heartbeats after an apply are spread over this long (uniformly, per agent). */
export const POST_APPLY_SPREAD_MS = 1000;
/** An early heartbeat sent sooner than this share of the interval after the last telemetry carries none. */
export const TELEMETRY_MIN_SHARE = 0.5;
/** Seconds the agent asks for in `wait` when the server offers long-poll. */
export const DEFAULT_LONG_POLL_SECONDS = 50;
/** Retry delays of the poll and heartbeat tasks. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 60_000 };

export interface PollTuning {
  pollIntervalMs: number;
  /** Seconds to ask for in `wait` when the server offers long-poll; 0 = never long-poll. */
  longPollSeconds: number;
}

/** What the agent last reported about configs (the heartbeat's appliedConfigVersion and configError). */
export interface ReportedConfig {
  appliedConfigVersion: number;
  configError: { version: number; message: string } | null;
}

export interface PollQuery {
  since: number;
  waitSeconds?: number;
}

/** The next step of a task: wait this long and go on, or stop because the token was revoked. */
export type Next = { kind: 'wait'; ms: number } | { kind: 'revoked' };

/** `ms` ± INTERVAL_JITTER, drawn with `random` ([0, 1)). */
export function jittered(ms: number, random: () => number): number {
  return ms * (1 - INTERVAL_JITTER + 2 * INTERVAL_JITTER * random());
}

/** True for the outcomes that mean "token revoked": a fatal 401 or 403. */
export function isRevoked(outcome: Outcome<unknown>): boolean {
  return outcome.kind === 'fatal' && (outcome.status === 401 || outcome.status === 403);
}

/** The `since` of the next poll: the highest version applied or rejected. */
export function sinceVersion(reported: ReportedConfig): number {
  return Math.max(reported.appliedConfigVersion, reported.configError?.version ?? 0);
}

/**
 * What to report after config `version` (polled with `since`) was applied, or rejected with
 * `error`. A rejected version at or below `since` is a reset (moved to another group): nothing of
 * the old group counts as applied any more.
 */
export function afterApply(
  reported: ReportedConfig,
  version: number,
  since: number,
  error?: string,
): ReportedConfig {
  if (error === undefined) return { appliedConfigVersion: version, configError: null };
  return {
    appliedConfigVersion: version <= since ? 0 : reported.appliedConfigVersion,
    configError: { version, message: error },
  };
}

/** The poll task's state: the server's long-poll offer and the poll backoff. One per session. */
export class PollPolicy {
  private longPollMax: number | undefined;

  constructor(
    private readonly backoff: Backoff,
    private readonly random: () => number,
  ) {}

  /** The query of the next poll. */
  query(reported: ReportedConfig, tuning: PollTuning): PollQuery {
    const since = sinceVersion(reported);
    const waitSeconds = this.longPollWait(tuning);
    return waitSeconds === undefined ? { since } : { since, waitSeconds };
  }

  /**
   * What to do after the poll `query` got `outcome` (`heldMs` after it was sent). For a config
   * answer, call this after applying it; `applyFailed` (the host could not apply it) backs off.
   */
  next(
    query: PollQuery,
    outcome: Outcome<ConfigAnswer>,
    tuning: PollTuning,
    heldMs: number,
    applyFailed = false,
  ): Next {
    if (outcome.kind !== 'ok') return this.failed(outcome);
    this.longPollMax = outcome.value.longPollMax;
    if (applyFailed) return { kind: 'wait', ms: this.backoff.next() };
    this.backoff.reset();
    if (outcome.value.kind === 'config') return { kind: 'wait', ms: 0 };
    const held = query.waitSeconds === undefined || heldMs >= HELD_POLL_MS;
    const longPollNext = this.longPollWait(tuning) !== undefined;
    return { kind: 'wait', ms: longPollNext && held ? 0 : jittered(tuning.pollIntervalMs, this.random) };
  }

  /** Failures since the last success (for logging). */
  get attempts(): number {
    return this.backoff.attempts;
  }

  private failed(outcome: Exclude<Outcome<unknown>, { kind: 'ok' }>): Next {
    if (isRevoked(outcome)) return { kind: 'revoked' };
    return {
      kind: 'wait',
      ms: this.backoff.next(outcome.kind === 'retryable' ? outcome.retryAfterMs : undefined),
    };
  }

  private longPollWait(tuning: PollTuning): number | undefined {
    if (!this.longPollMax || tuning.longPollSeconds <= 0) return undefined;
    return Math.min(this.longPollMax, tuning.longPollSeconds);
  }
}

/** The heartbeat task's state: beats so far and the heartbeat backoff. One per session. */
export class HeartbeatPolicy {
  private beats = 0;

  constructor(
    private readonly backoff: Backoff,
    private readonly random: () => number,
  ) {}

  /** The delay before the next regular heartbeat after one answered `outcome`, or revoked. */
  next(outcome: Outcome<unknown>, heartbeatIntervalMs: number): Next {
    if (outcome.kind !== 'ok') {
      if (isRevoked(outcome)) return { kind: 'revoked' };
      const retryAfterMs = outcome.kind === 'retryable' ? outcome.retryAfterMs : undefined;
      return { kind: 'wait', ms: this.backoff.next(retryAfterMs) };
    }
    this.backoff.reset();
    this.beats += 1;
    const ms =
      this.beats === 1
        ? heartbeatPhase(heartbeatIntervalMs, this.random)
        : jittered(heartbeatIntervalMs, this.random);
    return { kind: 'wait', ms: Math.max(MIN_HEARTBEAT_GAP_MS, ms) };
  }

  /** Failures since the last success (for logging). */
  get attempts(): number {
    return this.backoff.attempts;
  }
}

/** A random phase in the heartbeat interval: when the second beat lands (or after a retune). */
export function heartbeatPhase(heartbeatIntervalMs: number, random: () => number): number {
  return random() * heartbeatIntervalMs;
}

/**
 * Which heartbeats carry telemetry: the first, and any sent at least TELEMETRY_MIN_SHARE of the
 * heartbeat interval after the last one that did. The early heartbeats (an applied config, action
 * results) in between carry none; the next regular one carries what accumulated (rates are
 * computed between samples, and log lines wait in the tail).
 */
export class TelemetrySchedule {
  private lastAt: number | undefined;

  /** Whether a heartbeat sent at `now` carries telemetry; when it does, it counts as the last one. */
  take(now: number, heartbeatIntervalMs: number): boolean {
    if (this.lastAt !== undefined && now - this.lastAt < TELEMETRY_MIN_SHARE * heartbeatIntervalMs)
      return false;
    this.lastAt = now;
    return true;
  }
}

/** How long the heartbeat reporting an applied (or rejected) config waits: [0, POST_APPLY_SPREAD_MS). */
export function postApplyHeartbeatDelay(random: () => number): number {
  return random() * POST_APPLY_SPREAD_MS;
}

/**
 * How long an early heartbeat (something changed) must still wait when the previous heartbeat
 * was answered `sinceAnswerMs` ago: 0 once MIN_HEARTBEAT_GAP_MS has passed.
 */
export function earlyHeartbeatDelay(sinceAnswerMs: number): number {
  return Math.max(0, MIN_HEARTBEAT_GAP_MS - sinceAnswerMs);
}

/** The intervals a heartbeat answer may advertise (seconds); absent: the agent's own. */
export interface AdvertisedIntervals {
  heartbeatIntervalSeconds?: number;
  pollIntervalSeconds?: number;
}

/** The agent's own intervals (its settings), in ms. */
export interface OwnIntervals {
  heartbeatIntervalMs: number;
  pollIntervalMs: number;
}

/** `seconds` clamped into `bounds`, in ms; `ownMs` when nothing (or not a finite number) was advertised. */
export function advertisedMs(
  seconds: number | undefined,
  bounds: { min: number; max: number },
  ownMs: number,
): number {
  if (seconds === undefined || !Number.isFinite(seconds)) return ownMs;
  return Math.min(bounds.max, Math.max(bounds.min, seconds)) * 1000;
}

/**
 * The intervals in effect for one agent: what the last heartbeat answer advertised (clamped into
 * the protocol's bounds), else the agent's own (read through `own` each time, so a retune shows).
 */
export class ServerIntervals {
  private advertised: AdvertisedIntervals = {};

  constructor(private readonly own: () => OwnIntervals) {}

  /** Take the intervals of a heartbeat answer; returns true when the heartbeat interval changed. */
  adopt(answer: AdvertisedIntervals): boolean {
    const before = this.heartbeatIntervalMs;
    this.advertised = {
      heartbeatIntervalSeconds: answer.heartbeatIntervalSeconds,
      pollIntervalSeconds: answer.pollIntervalSeconds,
    };
    return this.heartbeatIntervalMs !== before;
  }

  get heartbeatIntervalMs(): number {
    const { heartbeatIntervalSeconds } = this.advertised;
    return advertisedMs(
      heartbeatIntervalSeconds,
      HEARTBEAT_INTERVAL_BOUNDS_SECONDS,
      this.own().heartbeatIntervalMs,
    );
  }

  get pollIntervalMs(): number {
    return advertisedMs(
      this.advertised.pollIntervalSeconds,
      POLL_INTERVAL_BOUNDS_SECONDS,
      this.own().pollIntervalMs,
    );
  }
}
