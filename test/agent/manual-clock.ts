/**
 * A manual Clock for the agent tests: time moves only when the test advances it, and due timers
 * fire in time order, with the event loop turned once after each (promise chains and quick I/O
 * settle). `drive` advances in small steps until an outcome shows, so a test waits on simulated
 * time and never on the wall clock.
 */
import type { Clock } from '../../agent/clock.ts';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  readonly now = (): number => this.current;

  readonly setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.timers.set(id, { at: this.current + Math.max(0, ms), seq: id, fn });
    return id;
  };

  readonly clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    for (;;) {
      let next: [number, Timer] | undefined;
      for (const entry of this.timers) {
        const [, t] = entry;
        if (t.at <= until && (!next || t.at < next[1].at || (t.at === next[1].at && t.seq < next[1].seq)))
          next = entry;
      }
      if (!next) break;
      this.timers.delete(next[0]);
      this.current = next[1].at;
      next[1].fn();
      await turn();
    }
    this.current = until;
    await turn();
  }
}

/**
 * Advances `clock` by `stepMs` at a time until `probe` returns a value (not undefined/false), and
 * resolves it; rejects naming `what` after `maxSteps` steps. Between steps a millisecond of real
 * time lets file I/O finish; no assertion depends on how much real time passes.
 */
export async function drive<T>(
  clock: ManualClock,
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  { stepMs = 10, maxSteps = 3000 } = {},
): Promise<T> {
  for (let step = 0; ; step++) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (step >= maxSteps) throw new Error(`${what}: not within ${maxSteps * stepMs} simulated ms`);
    await clock.advance(stepMs);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
