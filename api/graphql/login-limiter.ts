/**
 * Failed-login throttling, per email and per client address, in fixed windows: after
 * `maxPerEmail` failures for one email (or `maxPerAddress` from one address) further attempts are
 * refused without checking the password until the window ends. A success clears the email's
 * count. Counters live in the server's limiter store (memory, or Redis shared by every replica;
 * see http/limiter-store.ts). Keys are bounded: an email is kept as the SHA-256 of its normalized
 * form, so a 240 KiB "email" costs as little as a short one.
 */
import { createHash } from 'node:crypto';
import { memoryLimiterStore, retryAfterSeconds, type LimiterStore } from '../http/limiter-store.ts';

export interface LoginLimiter {
  /** Seconds until `email` from `address` may try again; 0 when an attempt is allowed now. */
  retryAfter(email: string, address: string): Promise<number>;
  /** Count one failed attempt. */
  fail(email: string, address: string): Promise<void>;
  /** Forget the failures of `email` after a successful sign-in. */
  succeed(email: string): Promise<void>;
}

export interface LoginLimiterOptions {
  maxPerEmail?: number;
  maxPerAddress?: number;
  windowSeconds?: number;
  store?: LimiterStore;
}

/** The bounded key of an email: SHA-256 of the trimmed, lower-cased address (43 characters). */
export function emailKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('base64url');
}

/** Create a limiter (defaults: 5 failures per email, 20 per address, per 15 minutes, in memory). */
export function createLoginLimiter(options: LoginLimiterOptions = {}): LoginLimiter {
  const { maxPerEmail = 5, maxPerAddress = 20, windowSeconds = 15 * 60 } = options;
  const store = options.store ?? memoryLimiterStore();
  const perEmail = store.limiter({
    name: 'login:email',
    points: maxPerEmail,
    durationSeconds: windowSeconds,
  });
  const perAddress = store.limiter({
    name: 'login:address',
    points: maxPerAddress,
    durationSeconds: windowSeconds,
  });

  const wait = async (limiter: typeof perEmail, key: string, max: number) => {
    const state = await limiter.get(key);
    return state && state.consumedPoints >= max ? retryAfterSeconds(state.msBeforeNext) : 0;
  };

  return {
    async retryAfter(email, address) {
      const [byEmail, byAddress] = await Promise.all([
        wait(perEmail, emailKey(email), maxPerEmail),
        wait(perAddress, address, maxPerAddress),
      ]);
      return Math.max(byEmail, byAddress);
    },
    async fail(email, address) {
      await Promise.all([perEmail.penalty(emailKey(email), 1), perAddress.penalty(address, 1)]);
    },
    async succeed(email) {
      await perEmail.delete(emailKey(email));
    },
  };
}
