import { describe, expect, it } from 'vitest';
import { createBackoff, parseRetryAfter } from '../../agent/transport/backoff.ts';

describe('backoff', () => {
  it('doubles from the initial delay up to the cap when jitter is off', () => {
    const b = createBackoff({ initialMs: 100, maxMs: 1000, jitter: 0 }, () => 0.5);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(b.attempts).toBe(6);
  });

  it('keeps jittered delays between (1 - jitter) × base and base', () => {
    const low = createBackoff({ initialMs: 1000, maxMs: 60_000, jitter: 0.5 }, () => 0.999999);
    const high = createBackoff({ initialMs: 1000, maxMs: 60_000, jitter: 0.5 }, () => 0);
    expect(low.next()).toBe(500);
    expect(high.next()).toBe(1000);
    expect(low.next()).toBe(1000);
    expect(high.next()).toBe(2000);
  });

  it('starts over after reset()', () => {
    const b = createBackoff({ initialMs: 100, maxMs: 10_000, jitter: 0 }, Math.random);
    b.next();
    b.next();
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(100);
  });

  it('waits at least as long as Retry-After asks, up to its own ceiling', () => {
    const b = createBackoff({ initialMs: 100, maxMs: 1000, jitter: 0, maxRetryAfterMs: 30_000 }, Math.random);
    expect(b.next(5_000)).toBe(5_000);
    expect(b.next(50)).toBe(200);
    expect(b.next(3_600_000)).toBe(30_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
  });

  it('ignores a missing or unparsable header', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
