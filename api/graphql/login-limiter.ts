/**
 * Failed-login throttling, per email and per client address, in fixed windows: after
 * `maxPerEmail` failures for one email (or `maxPerAddress` from one address) further attempts are
 * refused without checking the password until the window ends. A success clears the email's
 * count. Kept in memory per process; the table is pruned so it cannot grow without bound.
 */
export interface LoginLimiter {
  /** Seconds until `email` from `address` may try again; 0 when an attempt is allowed now. */
  retryAfter(email: string, address: string): number;
  /** Count one failed attempt. */
  fail(email: string, address: string): void;
  /** Forget the failures of `email` after a successful sign-in. */
  succeed(email: string): void;
}

export interface LoginLimiterOptions {
  maxPerEmail?: number;
  maxPerAddress?: number;
  windowMs?: number;
  now?: () => number;
}

interface Window {
  count: number;
  resetAt: number;
}

const PRUNE_ABOVE = 10_000;

/** Create a limiter (defaults: 5 failures per email, 20 per address, per 15 minutes). */
export function createLoginLimiter(options: LoginLimiterOptions = {}): LoginLimiter {
  const { maxPerEmail = 5, maxPerAddress = 20, windowMs = 15 * 60_000, now = Date.now } = options;
  const windows = new Map<string, Window>();
  const emailKey = (email: string) => `e:${email.trim().toLowerCase()}`;
  const addressKey = (address: string) => `a:${address}`;

  const wait = (key: string, max: number, t: number) => {
    const w = windows.get(key);
    return w && w.count >= max && t < w.resetAt ? Math.ceil((w.resetAt - t) / 1000) : 0;
  };
  const count = (key: string, t: number) => {
    const w = windows.get(key);
    if (w && t < w.resetAt) w.count += 1;
    else windows.set(key, { count: 1, resetAt: t + windowMs });
  };
  const prune = (t: number) => {
    if (windows.size <= PRUNE_ABOVE) return;
    for (const [key, w] of windows) if (w.resetAt <= t) windows.delete(key);
  };

  return {
    retryAfter(email, address) {
      const t = now();
      return Math.max(wait(emailKey(email), maxPerEmail, t), wait(addressKey(address), maxPerAddress, t));
    },
    fail(email, address) {
      const t = now();
      prune(t);
      count(emailKey(email), t);
      count(addressKey(address), t);
    },
    succeed(email) {
      windows.delete(emailKey(email));
    },
  };
}
