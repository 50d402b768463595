/**
 * A latency histogram with logarithmic buckets (3 % wide, 10 µs … 10 min): constant memory per
 * route however many requests a run makes, and plain number arrays, so shards in other processes
 * can send theirs over IPC and the parent can add or subtract them.
 */

const MIN_MS = 0.01;
const GROWTH = 1.03;
export const BUCKETS = Math.ceil(Math.log(600_000 / MIN_MS) / Math.log(GROWTH)) + 1;

/** Bucket counts, index 0 holding everything at or below MIN_MS. */
export type Histogram = number[];

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** An empty histogram. */
export function emptyHistogram(): Histogram {
  return new Array<number>(BUCKETS).fill(0);
}

/** Count one value (milliseconds) into `h`. */
export function record(h: Histogram, ms: number): void {
  const index = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / Math.log(GROWTH)));
  h[index] += 1;
}

/** `a + b` (or `a - b` with sign -1), bucket by bucket, as a new histogram. */
export function combine(a: Histogram, b: Histogram, sign: 1 | -1 = 1): Histogram {
  return a.map((count, i) => count + sign * (b[i] ?? 0));
}

/** Middle of bucket `i` in milliseconds (geometric, so within 1.5 % of anything counted there). */
function middle(i: number): number {
  return i === 0 ? MIN_MS : MIN_MS * GROWTH ** (i - 0.5);
}

/** p50 / p90 / p99 / max of `h` in milliseconds (±1.5 %); zeros for an empty histogram. */
export function percentiles(h: Histogram): Percentiles {
  const count = h.reduce((a, b) => a + b, 0);
  const at = (q: number): number => {
    if (count === 0) return 0;
    const rank = Math.ceil(q * count);
    let seen = 0;
    for (let i = 0; i < h.length; i++) {
      seen += h[i];
      if (seen >= rank) return round(middle(i));
    }
    return round(middle(h.length - 1));
  };
  return { count, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

/** Exact percentiles of a list of values (milliseconds), for per-agent propagation times. */
export function exactPercentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? 0 : round(sorted[Math.ceil(q * sorted.length) - 1]));
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

/** Three significant digits: enough for a report, short in JSON. */
function round(ms: number): number {
  return Number(ms.toPrecision(3));
}
