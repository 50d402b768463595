/**
 * Time for the agent: every component takes a Clock so tests can control or observe time.
 * `sleep` resolves early (without throwing) when its AbortSignal fires.
 */

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock over Date.now and the Node timers. Call once in main.ts and pass it down. */
export function createSystemClock(): Clock {
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
}

/**
 * Waits `ms` on `clock`. Resolves at once if `signal` is already aborted, and early when it aborts.
 * Never rejects.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clock.clearTimeout(handle);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const handle = clock.setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * A sleep that another part of the agent can cut short (coalesced wake-ups: many wake() calls
 * during one wait end that wait once). Used for the heartbeat timer and "something changed" nudges.
 */
export class Wakeable {
  private pending = false;
  private resolveCurrent: (() => void) | null = null;

  constructor(private readonly clock: Clock) {}

  /** Ends the current wait, or makes the next wait return at once if none is in progress. */
  wake(): void {
    if (this.resolveCurrent) this.resolveCurrent();
    else this.pending = true;
  }

  /** Waits up to `ms`; resolves `true` when woken, `false` on timeout or abort. Never rejects. */
  wait(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve(true);
    }
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (woken: boolean): void => {
        this.clock.clearTimeout(handle);
        signal?.removeEventListener('abort', onAbort);
        this.resolveCurrent = null;
        resolve(woken);
      };
      const onAbort = (): void => finish(false);
      const handle = this.clock.setTimeout(() => finish(false), Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.resolveCurrent = () => finish(true);
    });
  }
}
