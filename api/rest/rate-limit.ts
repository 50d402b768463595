/**
 * A fixed-window rate limiter per client key (enrolment: per address). Memory is bounded: the
 * table is cleared every window.
 */
export interface RateLimiter {
  /** Count one hit for `key`; resolves the seconds to wait when over the limit, else 0. */
  hit(key: string): number;
}

/** Allow `limit` hits per key per `windowMs`. `now` is injectable for tests. */
export function createRateLimiter(
  limit: number,
  windowMs = 60_000,
  now: () => number = Date.now,
): RateLimiter {
  let windowStart = now();
  let counts = new Map<string, number>();
  return {
    hit(key) {
      const t = now();
      if (t - windowStart >= windowMs) {
        windowStart = t;
        counts = new Map();
      }
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      return count > limit ? Math.max(1, Math.ceil((windowStart + windowMs - t) / 1000)) : 0;
    },
  };
}
