/**
 * The enrolment rate limit per client address (FLOTILLA_ENROL_RATE_LIMIT per minute), counted in
 * the server's limiter store (memory, or Redis shared by every replica; see http/limiter-store.ts).
 * Only enrolment uses it: the agent hot paths (polls, heartbeats) never wait on a limiter.
 */
import { RateLimiterRes } from 'rate-limiter-flexible';
import { memoryLimiterStore, retryAfterSeconds, type LimiterStore } from '../http/limiter-store.ts';

export interface RateLimiter {
  /** Count one hit for `key`; resolves the seconds to wait when over the limit, else 0. */
  hit(key: string): Promise<number>;
}

/** Allow `limit` hits per key per `windowSeconds` (default a minute), counted in `store`. */
export function createRateLimiter(
  limit: number,
  store: LimiterStore = memoryLimiterStore(),
  windowSeconds = 60,
): RateLimiter {
  const limiter = store.limiter({ name: 'enrol', points: limit, durationSeconds: windowSeconds });
  return {
    async hit(key) {
      try {
        await limiter.consume(key);
        return 0;
      } catch (error) {
        if (error instanceof RateLimiterRes) return retryAfterSeconds(error.msBeforeNext);
        throw error;
      }
    },
  };
}
