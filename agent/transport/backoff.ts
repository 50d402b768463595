/**
 * Retry policy (style rule 9): exponential delays with jitter and a cap, Retry-After honoured,
 * reset after a success. One Backoff per retrying activity (poll, heartbeat, Vector restarts).
 */

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Growth per failure; 2 doubles. */
  factor?: number;
  /** Fraction of the delay that is randomised: 0.5 → delay in [d/2, d]. */
  jitter?: number;
  /** Upper bound for a server-requested Retry-After, so a bad header cannot park the agent. */
  maxRetryAfterMs?: number;
}

export interface Backoff {
  /** Delay before the next attempt; grows with every call until reset(). */
  next(retryAfterMs?: number): number;
  /** Call after a success: the next failure starts from the initial delay again. */
  reset(): void;
  /** Failures since the last reset. */
  readonly attempts: number;
}

/**
 * Creates a Backoff. `random` returns [0, 1) (Math.random in production, fixed in tests).
 * Never throws; a policy with maxMs < initialMs caps every delay at maxMs.
 */
export function createBackoff(policy: BackoffPolicy, random: () => number): Backoff {
  const factor = policy.factor ?? 2;
  const jitter = Math.min(Math.max(policy.jitter ?? 0.5, 0), 1);
  const maxRetryAfter = policy.maxRetryAfterMs ?? 60 * 60 * 1000;
  let attempts = 0;
  return {
    next(retryAfterMs) {
      const base = Math.min(policy.maxMs, policy.initialMs * factor ** attempts);
      attempts += 1;
      const delay = Math.round(base * (1 - jitter * random()));
      if (retryAfterMs !== undefined && retryAfterMs > delay) return Math.min(retryAfterMs, maxRetryAfter);
      return delay;
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}

/**
 * Parses a Retry-After header (delta-seconds or an HTTP date) into milliseconds from `nowMs`.
 * Returns undefined for a missing or unparsable header; a date in the past gives 0.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
