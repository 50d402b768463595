/**
 * Where request limiters (enrolment per address, failed sign-ins per email and address) keep
 * their counters, through rate-limiter-flexible: in this process's memory by default, or in
 * Redis when REDIS_URL is set, so every replica counts against the same limit. A Redis outage
 * falls back to per-process memory counters (the limits still hold on each replica) instead of
 * failing the request.
 */
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** A fixed-window counter: `points` per key per `durationSeconds`. */
export interface LimiterWindow {
  /** Distinguishes this limiter's keys from the others' (e.g. `login:email`). */
  name: string;
  points: number;
  durationSeconds: number;
}

export interface LimiterStore {
  /** A limiter with its own key space in this store. */
  limiter(window: LimiterWindow): RateLimiterAbstract;
  close(): Promise<void>;
}

/** Counters in this process's memory (the default, and what tests without Redis use). */
export function memoryLimiterStore(): LimiterStore {
  return {
    limiter: ({ name, points, durationSeconds }) =>
      new RateLimiterMemory({ keyPrefix: name, points, duration: durationSeconds }),
    close: () => Promise.resolve(),
  };
}

/**
 * Counters in Redis at `<prefix>:limit:<name>:<key>`, shared by every replica using the same
 * Redis and prefix (FLOTILLA_REDIS_PREFIX). Opens its own connection; close() ends it.
 */
export function redisLimiterStore(
  url: string,
  prefix: string,
  onError?: (error: Error) => void,
): LimiterStore {
  // Commands wait for the connection (at start) but fail after one reconnection attempt, so an
  // outage costs a request at most a reconnect delay before the memory fallback answers.
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', (error: Error) => onError?.(error));
  return {
    limiter: ({ name, points, durationSeconds }) =>
      new RateLimiterRedis({
        storeClient: client,
        keyPrefix: `${prefix}:limit:${name}`,
        points,
        duration: durationSeconds,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, points, duration: durationSeconds }),
      }),
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** The store of a server: Redis when `redisUrl` (REDIS_URL) is set, else memory. */
export function createLimiterStore(
  settings: { redisUrl: string | undefined; redisPrefix: string },
  onError?: (error: Error) => void,
): LimiterStore {
  return settings.redisUrl
    ? redisLimiterStore(settings.redisUrl, settings.redisPrefix, onError)
    : memoryLimiterStore();
}

/** Seconds a client told to wait should wait: at least 1, rounded up. */
export function retryAfterSeconds(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}
