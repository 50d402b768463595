/**
 * The agent's poll and heartbeat policy (agent/policy.ts), shared by the loop and the simulator:
 * table-driven, with a fixed random and a backoff without jitter, so every delay is exact.
 */
import { describe, expect, it } from 'vitest';
import {
  HeartbeatPolicy,
  MIN_HEARTBEAT_GAP_MS,
  POST_APPLY_SPREAD_MS,
  PollPolicy,
  ServerIntervals,
  TELEMETRY_MIN_SHARE,
  TelemetrySchedule,
  afterApply,
  earlyHeartbeatDelay,
  isRevoked,
  jittered,
  postApplyHeartbeatDelay,
  sinceVersion,
  type PollQuery,
  type ReportedConfig,
} from '../../agent/policy.ts';
import { createBackoff } from '../../agent/transport/backoff.ts';
import { HEARTBEAT_INTERVAL_BOUNDS_SECONDS, POLL_INTERVAL_BOUNDS_SECONDS } from '../../api/protocol/v1.ts';
import type { ConfigAnswer, Outcome } from '../../agent/transport/client.ts';

const backoff = () => createBackoff({ initialMs: 1000, maxMs: 8000, jitter: 0 }, () => 0);
const tuning = { pollIntervalMs: 10_000, longPollSeconds: 50 };
const reported = (applied: number, errorVersion?: number): ReportedConfig => ({
  appliedConfigVersion: applied,
  configError: errorVersion === undefined ? null : { version: errorVersion, message: 'bad' },
});
const ok = <T>(value: T): Outcome<T> => ({ kind: 'ok', value });
const unchanged = (longPollMax?: number) => ok<ConfigAnswer>({ kind: 'unchanged', longPollMax });
const config = (version: number, longPollMax?: number) =>
  ok<ConfigAnswer>({ kind: 'config', version, body: 'x', longPollMax });
const retryable = (retryAfterMs?: number): Outcome<never> => ({
  kind: 'retryable',
  message: 'x',
  retryAfterMs,
});
const fatal = (status: number): Outcome<never> => ({ kind: 'fatal', message: 'x', status });

describe('agent policy: what to report and poll with', () => {
  it.each([
    [reported(0), 0],
    [reported(4), 4],
    [reported(4, 6), 6],
    [reported(7, 6), 7],
  ])('polls %j with since=%i (the highest version applied or rejected)', (r, since) => {
    expect(sinceVersion(r)).toBe(since);
  });

  it.each([
    ['applied', reported(3, 2), 5, 3, undefined, reported(5)],
    ['rejected above since', reported(3), 5, 3, 'bad', reported(3, 5)],
    ['rejected at or below since: a reset', reported(7), 2, 7, 'bad', reported(0, 2)],
    ['applied after a reset', reported(7, 9), 2, 9, undefined, reported(2)],
  ])('%s', (_what, before, version, since, error, after) => {
    expect(afterApply(before, version, since, error)).toEqual(after);
  });

  it.each([
    [fatal(401), true],
    [fatal(403), true],
    [fatal(404), false],
    [retryable(), false],
    [ok({}), false],
  ])('counts %j as revoked: %s', (outcome, revoked) => {
    expect(isRevoked(outcome)).toBe(revoked);
  });

  it.each([
    [0, 9000],
    [0.5, 10_000],
    [0.999, 10_998],
  ])('jitters an interval by ±10 %% (random %f → %i ms)', (random, ms) => {
    expect(jittered(10_000, () => random)).toBeCloseTo(ms, 0);
  });
});

describe('agent policy: polling', () => {
  type Step = {
    outcome: Outcome<ConfigAnswer>;
    heldMs?: number;
    applyFailed?: boolean;
    /** The query this poll was sent with. */
    query: PollQuery;
    /** What to do next: a delay in ms, or 'revoked'. */
    next: number | 'revoked';
  };
  const run = (steps: Step[], t = tuning) => {
    const policy = new PollPolicy(backoff(), () => 0.5);
    const r = reported(3);
    for (const [i, step] of steps.entries()) {
      const query = policy.query(r, t);
      expect(query, `query of poll ${i + 1}`).toEqual(step.query);
      const next = policy.next(query, step.outcome, t, step.heldMs ?? 0, step.applyFailed);
      expect(next, `next after poll ${i + 1}`).toEqual(
        step.next === 'revoked' ? { kind: 'revoked' } : { kind: 'wait', ms: step.next },
      );
    }
  };

  it.each<[string, Step[], typeof tuning?]>([
    [
      'plain polls every interval ± 10 % until the server offers long-poll, then long-polls at once',
      [
        { outcome: unchanged(), query: { since: 3 }, next: 10_000 },
        { outcome: unchanged(60), query: { since: 3 }, next: 0 },
        { outcome: unchanged(60), heldMs: 50_000, query: { since: 3, waitSeconds: 50 }, next: 0 },
      ],
    ],
    [
      'asks for the server maximum when it is below its own setting',
      [
        { outcome: unchanged(20), query: { since: 3 }, next: 0 },
        { outcome: unchanged(20), heldMs: 20_000, query: { since: 3, waitSeconds: 20 }, next: 0 },
      ],
    ],
    [
      'a long-poll answered in under a second waits the poll interval',
      [
        { outcome: unchanged(60), query: { since: 3 }, next: 0 },
        { outcome: unchanged(60), heldMs: 999, query: { since: 3, waitSeconds: 50 }, next: 10_000 },
      ],
    ],
    [
      'stops long-polling when the server no longer offers it',
      [
        { outcome: unchanged(60), query: { since: 3 }, next: 0 },
        { outcome: unchanged(), heldMs: 5000, query: { since: 3, waitSeconds: 50 }, next: 10_000 },
        { outcome: unchanged(), query: { since: 3 }, next: 10_000 },
      ],
    ],
    [
      'after a config answer the next poll follows at once, long-poll or not',
      [
        { outcome: config(5, 60), query: { since: 3 }, next: 0 },
        { outcome: config(6, 60), query: { since: 3, waitSeconds: 50 }, next: 0 },
        { outcome: config(7), query: { since: 3, waitSeconds: 50 }, next: 0 },
      ],
    ],
    [
      'backs off while the host cannot apply a config, and after failures; Retry-After wins when longer',
      [
        { outcome: config(5), applyFailed: true, query: { since: 3 }, next: 1000 },
        { outcome: config(5), applyFailed: true, query: { since: 3 }, next: 2000 },
        { outcome: retryable(), query: { since: 3 }, next: 4000 },
        { outcome: retryable(30_000), query: { since: 3 }, next: 30_000 },
        { outcome: fatal(404), query: { since: 3 }, next: 8000 },
        { outcome: unchanged(), query: { since: 3 }, next: 10_000 },
        { outcome: retryable(), query: { since: 3 }, next: 1000 },
      ],
    ],
    [
      'stops on a revoked token',
      [
        { outcome: unchanged(), query: { since: 3 }, next: 10_000 },
        { outcome: fatal(403), query: { since: 3 }, next: 'revoked' },
      ],
    ],
    [
      'never long-polls with longPollSeconds 0 (the simulator’s poll mode)',
      [
        { outcome: unchanged(60), query: { since: 3 }, next: 10_000 },
        { outcome: unchanged(60), query: { since: 3 }, next: 10_000 },
      ],
      { pollIntervalMs: 10_000, longPollSeconds: 0 },
    ],
  ])('%s', (_what, steps, t) => run(steps, t));
});

describe('agent policy: heartbeats', () => {
  it.each<[string, number[], [Outcome<unknown>, number | 'revoked'][]]>([
    [
      'the second beat lands at a random phase, later ones every interval ± 10 %',
      [0.25, 0, 0.999],
      [
        [ok({}), 7500],
        [ok({}), 27_000],
        [ok({}), 32_994],
      ],
    ],
    ['never sooner than the minimum gap, even at phase 0', [0], [[ok({}), MIN_HEARTBEAT_GAP_MS]]],
    [
      'backs off after failures (Retry-After honoured) and resets after a success',
      [0.5, 0.5],
      [
        [retryable(), 1000],
        [retryable(5000), 5000],
        [ok({}), 15_000],
        [retryable(), 1000],
        [ok({}), 30_000],
      ],
    ],
    ['stops on 401', [], [[fatal(401), 'revoked']]],
  ])('%s', (_what, randoms, steps) => {
    const draws = [...randoms];
    const policy = new HeartbeatPolicy(backoff(), () => draws.shift() ?? 0.5);
    for (const [outcome, next] of steps) {
      const got = policy.next(outcome, 30_000);
      if (next === 'revoked') expect(got).toEqual({ kind: 'revoked' });
      else {
        expect(got.kind).toBe('wait');
        expect(got.kind === 'wait' && got.ms).toBeCloseTo(next, 0);
      }
    }
  });

  it.each([
    [0, MIN_HEARTBEAT_GAP_MS],
    [150, MIN_HEARTBEAT_GAP_MS - 150],
    [MIN_HEARTBEAT_GAP_MS, 0],
    [Infinity, 0],
  ])('an early heartbeat %i ms after the last answer waits %i ms more', (since, wait) => {
    expect(earlyHeartbeatDelay(since)).toBe(wait);
  });

  it('spreads the heartbeats that report an apply over POST_APPLY_SPREAD_MS', () => {
    expect(postApplyHeartbeatDelay(() => 0)).toBe(0);
    expect(postApplyHeartbeatDelay(() => 0.5)).toBe(POST_APPLY_SPREAD_MS / 2);
    expect(postApplyHeartbeatDelay(() => 0.999_999)).toBeLessThan(POST_APPLY_SPREAD_MS);
  });

  it('sends telemetry with the first and the regular heartbeats, not with the early ones between', () => {
    const schedule = new TelemetrySchedule();
    const interval = 30_000;
    const half = TELEMETRY_MIN_SHARE * interval;
    expect(schedule.take(1_000, interval)).toBe(true);
    // An applied config reported a second later, then action results just before half an interval.
    expect(schedule.take(2_000, interval)).toBe(false);
    expect(schedule.take(1_000 + half - 1, interval)).toBe(false);
    // The regular heartbeat (interval − 10 % jitter) carries it, and counts as the last one.
    expect(schedule.take(1_000 + 0.9 * interval, interval)).toBe(true);
    expect(schedule.take(1_000 + 0.9 * interval + half - 1, interval)).toBe(false);
    expect(schedule.take(1_000 + 0.9 * interval + half, interval)).toBe(true);
    // A shorter interval (the server advertised one) shortens the gap with it.
    expect(schedule.take(1_000 + 0.9 * interval + half + 500, 1_000)).toBe(true);
  });
});

describe('agent policy: intervals the server advertises', () => {
  it('wins over the own setting within the protocol bounds, and the own comes back when absent', () => {
    const own = { heartbeatIntervalMs: 30_000, pollIntervalMs: 10_000 };
    const intervals = new ServerIntervals(() => own);
    expect(intervals.adopt({})).toBe(false);
    expect([intervals.heartbeatIntervalMs, intervals.pollIntervalMs]).toEqual([30_000, 10_000]);
    expect(intervals.adopt({ heartbeatIntervalSeconds: 1e9, pollIntervalSeconds: -3 })).toBe(true);
    expect(intervals.heartbeatIntervalMs).toBe(HEARTBEAT_INTERVAL_BOUNDS_SECONDS.max * 1000);
    expect(intervals.pollIntervalMs).toBe(POLL_INTERVAL_BOUNDS_SECONDS.min * 1000);
    intervals.adopt({ heartbeatIntervalSeconds: 45, pollIntervalSeconds: Number.NaN });
    expect([intervals.heartbeatIntervalMs, intervals.pollIntervalMs]).toEqual([45_000, 10_000]);
    expect(intervals.adopt({})).toBe(true);
    own.heartbeatIntervalMs = 5;
    expect(intervals.heartbeatIntervalMs).toBe(5);
  });
});
