/**
 * The orchestrator with scripted parts: a fake client (answers chosen per test), a fake applier
 * and supervisor, the real state store and action runner. Covers the polling and heartbeat rules
 * the real server does not exercise (long-poll offers, Retry-After, rejected versions). Time is a
 * ManualClock: every wait of the loop is simulated, so intervals are asserted exactly.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HeartbeatRequest } from '../../api/protocol/v1.ts';
import { ActionRunner } from '../../agent/actions/runner.ts';
import type { ApplyOutcome, RolledBack } from '../../agent/apply/apply.ts';
import { AgentLoop } from '../../agent/loop.ts';
import { POST_APPLY_SPREAD_MS, type AdvertisedIntervals } from '../../agent/policy.ts';
import { StateStore } from '../../agent/state/store.ts';
import type { VectorEvent } from '../../agent/supervisor/vector.ts';
import { createBackoff } from '../../agent/transport/backoff.ts';
import type { ConfigAnswer, Outcome } from '../../agent/transport/client.ts';
import { memoryLogger, tempDir } from './helpers.ts';
import { ManualClock, drive } from './manual-clock.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

type Poll = { since: number; waitSeconds?: number; at: number };
const ok = <T>(value: T): Outcome<T> => ({ kind: 'ok', value });

async function harness(script: {
  poll?: (n: number, q: Poll) => Outcome<ConfigAnswer>;
  heartbeat?: (n: number) => Outcome<{ pendingActions: []; rejectedResults: [] } & AdvertisedIntervals>;
  apply?: (version: number) => ApplyOutcome;
  applied?: number;
  random?: () => number;
  pollIntervalMs?: number;
  /** Give the loop a telemetry source (a sample with no parts). */
  telemetry?: boolean;
}) {
  const dir = await tempDir();
  const paths = {
    stateFile: path.join(dir, 's.json'),
    identityFile: path.join(dir, 'agent.json'),
    tokenFile: path.join(dir, 't'),
  };
  const { log, records } = memoryLogger();
  const store = new StateStore(fs, paths, log);
  await store.writeIdentity({ agentId: 'a-1', apiUrl: 'http://x', groupId: 'g', enrolledAt: 'now' }, 'AGT_x');
  await store.load();
  await store.update((s) => void (s.appliedConfigVersion = script.applied ?? 0));
  const polls: Poll[] = [];
  const heartbeats: (HeartbeatRequest & { at: number })[] = [];
  const listeners: ((e: VectorEvent) => void)[] = [];
  const clock = new ManualClock();
  const loop = new AgentLoop({
    store,
    client: {
      pollConfig: async (_creds, q) => {
        const poll = { ...q, at: clock.now() };
        polls.push(poll);
        return script.poll?.(polls.length, poll) ?? ok({ kind: 'unchanged' });
      },
      heartbeat: async (_creds, body) => {
        heartbeats.push({ ...body, at: clock.now() });
        return script.heartbeat?.(heartbeats.length) ?? ok({ pendingActions: [], rejectedResults: [] });
      },
    },
    applier: {
      apply: async (version) =>
        script.apply?.(version) ?? {
          kind: 'applied',
          version,
          action: 'reloaded',
          file: { sha256: 'a'.repeat(64), bodySha256: 'a'.repeat(64) },
        },
      startFromDisk: async () => true,
    },
    supervisor: {
      running: true,
      uptimeSeconds: () => 12.7,
      onEvent: (fn) => (listeners.push(fn), () => undefined),
    },
    actions: new ActionRunner(store, {}, clock, log),
    clock,
    random: script.random ?? (() => 0.5),
    newBackoff: () => createBackoff({ initialMs: 20, maxMs: 100 }, () => 0),
    log,
    agentVersion: '1.2.3',
    vectorVersion: () => '0.58.0',
    pollIntervalMs: script.pollIntervalMs ?? 20,
    ...(script.telemetry ? { telemetry: async () => ({}) } : {}),
    heartbeatIntervalMs: 60_000,
    longPollSeconds: 7,
    enrolmentCheckMs: 50,
  });
  const controller = new AbortController();
  const running = loop.run(controller.signal);
  stops.push(async () => {
    controller.abort();
    await running;
    await fs.rm(dir, { recursive: true, force: true });
  });
  return { polls, heartbeats, records, store, listeners, clock };
}

describe('agent loop', () => {
  it('long-polls only once the server advertised it, capped by its own setting', async () => {
    const h = await harness({
      poll: (n) => ok({ kind: 'unchanged', longPollMax: n >= 2 && n < 4 ? 60 : undefined }),
    });
    await drive(h.clock, 'five polls', () => h.polls.length >= 5);
    expect(h.polls.slice(0, 5).map((p) => p.waitSeconds)).toEqual([undefined, undefined, 7, 7, undefined]);
  });

  it('polls on the poll interval ± 10 % drawn from the injected random', async () => {
    const draws = [0, 0.999];
    const h = await harness({ random: () => draws[0] });
    await drive(h.clock, 'three polls', () => h.polls.length >= 3);
    draws.shift();
    await drive(h.clock, 'two more polls', () => h.polls.length >= 5);
    const gaps = h.polls.slice(1, 5).map((p, i) => p.at - h.polls[i].at);
    // 20 ms × 0.9 for the first two; then 20 ms × 1.0998 → 22 ms (the clock steps whole ms).
    expect(gaps.slice(0, 2)).toEqual([18, 18]);
    expect(gaps[3]).toBeGreaterThan(21);
    expect(gaps[3]).toBeLessThanOrEqual(22 + 10);
  });

  it('polls again at once after a config answer, with the new version', async () => {
    const h = await harness({
      pollIntervalMs: 10_000,
      poll: (n) => (n === 2 ? ok({ kind: 'config', version: 4, body: 'x' }) : ok({ kind: 'unchanged' })),
    });
    await drive(h.clock, 'four polls', () => h.polls.length >= 4, { stepMs: 50, maxSteps: 2000 });
    const gaps = h.polls.slice(1, 4).map((p, i) => p.at - h.polls[i].at);
    // The poll interval (10 s ± 10 %) before and after; in between only the store's real file
    // writes, while the injected clock keeps stepping: far less than an interval, not 0.
    expect(gaps[0]).toBeGreaterThanOrEqual(9000);
    expect(gaps[1]).toBeLessThan(5000);
    expect(gaps[2]).toBeGreaterThanOrEqual(9000);
    expect(h.polls[2].since).toBe(4);
  });

  it('reports an apply in a heartbeat a random share of a second later, not a heartbeat interval', async () => {
    const h = await harness({
      random: () => 0.25,
      poll: (n) => (n === 3 ? ok({ kind: 'config', version: 6, body: 'x' }) : ok({ kind: 'unchanged' })),
      telemetry: true,
    });
    await drive(h.clock, 'the config poll', () => h.polls.length >= 3);
    const appliedAt = h.polls[2].at;
    const hb = await drive(h.clock, 'the heartbeat with version 6', () =>
      h.heartbeats.find((b) => b.appliedConfigVersion === 6),
    );
    // 0.25 × POST_APPLY_SPREAD_MS (plus the store's writes); the heartbeat interval is 60 s.
    expect(hb.at - appliedAt).toBeGreaterThanOrEqual(0.25 * POST_APPLY_SPREAD_MS);
    expect(hb.at - appliedAt).toBeLessThan(POST_APPLY_SPREAD_MS);
    // Telemetry went with the first heartbeat; the early report carries none (TelemetrySchedule).
    expect(h.heartbeats[0].telemetry).toEqual({});
    expect(hb.telemetry).toBeUndefined();
  });

  it('follows the intervals a heartbeat answer advertises, clamped into the protocol bounds, until they are gone', async () => {
    const advertised: AdvertisedIntervals[] = [
      { heartbeatIntervalSeconds: 1, pollIntervalSeconds: 2 }, // 1 s is below the 5 s minimum: 5 s
      { heartbeatIntervalSeconds: 10, pollIntervalSeconds: 2 },
    ];
    const h = await harness({
      pollIntervalMs: 10_000,
      heartbeat: (n) => ok({ pendingActions: [], rejectedResults: [], ...advertised[n - 1] }),
    });
    await drive(h.clock, 'four heartbeats', () => h.heartbeats.length >= 4, { stepMs: 100, maxSteps: 1000 });
    await drive(
      h.clock,
      'polls on its own interval again',
      () => h.polls.at(-1)!.at >= h.heartbeats[3].at + 20_000,
      {
        stepMs: 100,
        maxSteps: 1000,
      },
    );
    const at = h.heartbeats.map((b) => b.at);
    // random 0.5: the second beat at half the (clamped) interval, then whole intervals, no jitter.
    expect(at[1] - at[0]).toBe(2500);
    expect(at[2] - at[1]).toBe(10_000);
    expect(at[3] - at[2]).toBe(60_000);
    const gaps = (from: number, to: number) =>
      h.polls.slice(1).flatMap((p, i) => (h.polls[i].at >= from && p.at <= to ? [p.at - h.polls[i].at] : []));
    expect(new Set(gaps(at[0] + 10_000, at[2]))).toEqual(new Set([2000]));
    expect(new Set(gaps(at[2] + 2000, Infinity))).toEqual(new Set([10_000]));
  });

  it('reports again when Vector dies after confirming a config, and applies the next one after that', async () => {
    let crash!: (late: RolledBack | null) => void;
    const applies: number[] = [];
    const h = await harness({
      applied: 3,
      poll: (n) =>
        n === 1 || n === 3
          ? ok({ kind: 'config', version: n === 1 ? 4 : 5, body: 'x' })
          : ok({ kind: 'unchanged' }),
      apply: (version) => {
        applies.push(version);
        const file = { sha256: 'a'.repeat(64), bodySha256: 'b'.repeat(64) };
        if (version === 5) return { kind: 'applied', version, action: 'reloaded', file };
        const watch = new Promise<RolledBack | null>((resolve) => (crash = resolve));
        return { kind: 'applied', version, action: 'reloaded', file, watch };
      },
    });
    await drive(h.clock, 'the report of version 4', () =>
      h.heartbeats.some((b) => b.appliedConfigVersion === 4),
    );
    await drive(h.clock, 'the poll that brings version 5', () => h.polls.length >= 3);
    await h.clock.advance(500);
    // Version 5 waits while version 4 is still being watched.
    expect(applies).toEqual([4]);
    crash({
      kind: 'rolled_back',
      version: 4,
      message: 'vector exited (code 1) after loading config version 4',
    });
    const hb = await drive(h.clock, 'the rollback report', () => h.heartbeats.find((b) => b.configError));
    expect(hb).toMatchObject({ appliedConfigVersion: 3, configError: { version: 4 } });
    await drive(h.clock, 'version 5 applied and reported', () =>
      h.heartbeats.some((b) => b.appliedConfigVersion === 5 && b.configError === null),
    );
    expect(applies).toEqual([4, 5]);
  });

  it('polls with the applied version, and past a version that was rejected', async () => {
    const h = await harness({
      applied: 3,
      poll: (n) => (n === 2 ? ok({ kind: 'config', version: 5, body: 'x' }) : ok({ kind: 'unchanged' })),
      apply: (version) => ({ kind: 'rejected', version, message: 'x bad' }),
    });
    await drive(h.clock, 'a poll after the rejection', () => h.polls.length >= 4);
    expect(h.polls.map((p) => p.since).slice(0, 4)).toEqual([3, 3, 5, 5]);
    const hb = await drive(h.clock, 'a heartbeat with the error', () =>
      h.heartbeats.find((b) => b.configError),
    );
    expect(hb).toMatchObject({ appliedConfigVersion: 3, configError: { version: 5, message: 'x bad' } });
  });

  it('reports the applied version, Vector state and versions in the heartbeat', async () => {
    const h = await harness({
      poll: (n) => (n === 1 ? ok({ kind: 'config', version: 9, body: 'x' }) : ok({ kind: 'unchanged' })),
    });
    const hb = await drive(h.clock, 'the early heartbeat after the apply', () =>
      h.heartbeats.find((b) => b.appliedConfigVersion === 9),
    );
    expect(hb).toMatchObject({
      agentVersion: '1.2.3',
      vectorVersion: '0.58.0',
      vectorRunning: true,
      vectorUptimeSeconds: 12,
    });
  });

  it('honours Retry-After between failed polls and resets after a success', async () => {
    const h = await harness({
      poll: (n) =>
        n <= 2
          ? { kind: 'retryable', message: '503', status: 503, retryAfterMs: 300 }
          : ok({ kind: 'unchanged' }),
    });
    await drive(h.clock, 'polls after the outage', () => h.polls.length >= 5);
    const gaps = h.polls.slice(1, 5).map((p, i) => p.at - h.polls[i].at);
    expect(gaps[0]).toBeGreaterThanOrEqual(300);
    expect(gaps[1]).toBeGreaterThanOrEqual(300);
    // After the success the next polls follow the poll interval (20 ms ± 10 %), not a backoff.
    expect(gaps[3]).toBeGreaterThanOrEqual(18);
    expect(gaps[3]).toBeLessThanOrEqual(22 + 10);
  });

  it('stops polling and heartbeating on 403 and says the token was revoked', async () => {
    const h = await harness({
      heartbeat: () => ({ kind: 'fatal', status: 403, code: 'token_revoked', message: 'revoked' }),
    });
    await drive(h.clock, 'the revoke log', () =>
      h.records.some((r) => r.msg === 'agent token revoked, re-enrol'),
    );
    const polls = h.polls.length;
    const heartbeats = h.heartbeats.length;
    const revokedAt = h.clock.now();
    await drive(h.clock, '15 poll intervals', () => h.clock.now() >= revokedAt + 300);
    expect(h.polls.length).toBe(polls);
    expect(h.heartbeats.length).toBe(heartbeats);
    expect(h.store.current.lastError?.message).toContain('revoked');
  });

  it('sends an early heartbeat when Vector exits unexpectedly', async () => {
    const h = await harness({});
    await drive(h.clock, 'the first heartbeat', () => h.heartbeats.length === 1);
    // The next regular heartbeat is due at a random phase of the 60 s interval (30 s here).
    const first = h.heartbeats[0].at;
    for (const listener of h.listeners) {
      listener({ type: 'exited', pid: 1, code: 1, signal: null, expected: false, uptimeMs: 5 });
    }
    await drive(h.clock, 'an early heartbeat', () => h.heartbeats.length === 2);
    expect(h.heartbeats[1].at - first).toBeLessThan(1000);
    expect(h.heartbeats[1].at - first).toBeGreaterThanOrEqual(200);
  });
});
