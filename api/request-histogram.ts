/**
 * The request-duration histogram (`flotilla_http_request_duration_seconds`), counted for every
 * request including the agent hot path. prom-client's Histogram validates and hashes the label set
 * and finds the bucket by a number-keyed property on every observe, a few percent of a 204 poll;
 * this one finds its series once per label set and counts into a preallocated array. It is
 * registered in metrics.ts's prom-client registry as a custom metric and exported in the same shape
 * as prom-client's own histograms (`_bucket` with `le`, `_sum`, `_count`).
 */
import type { Metric } from 'prom-client';

/** One label set's counts: `counts[i]` observations in bucket i (not cumulative), the last +Inf. */
export interface RequestSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

interface ExportedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

export class RequestHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, RequestSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
  ) {}

  /** The series of one route, method and status (created on first use). */
  seriesOf(route: string, method: string, status: number): RequestSeries {
    const key = `${route} ${method} ${status}`;
    let found = this.series.get(key);
    if (found === undefined) {
      const labels = { route, method, status: String(status) };
      found = { labels, counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
      this.series.set(key, found);
    }
    return found;
  }

  /** Count one request of `seconds` in `series`. */
  observe(series: RequestSeries, seconds: number): void {
    const { buckets } = this;
    let i = 0;
    while (i < buckets.length && seconds > buckets[i]) i++;
    series.counts[i] += 1;
    series.sum += seconds;
    series.count += 1;
  }

  /** The metric as prom-client's registry reads it (what `Histogram.get()` returns). */
  get(): { name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: ExportedValue[] } {
    const values: ExportedValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += counts[i];
        values.push({ labels: { le, ...labels }, value: cumulative, metricName: bucketName });
      });
      values.push({ labels: { le: '+Inf', ...labels }, value: count, metricName: bucketName });
      values.push({ labels: { ...labels }, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...labels }, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Forget every series (prom-client's registry calls this on resetMetrics). */
  reset(): void {
    this.series.clear();
  }

  /** This histogram as the registry's Metric type (the registry only reads the members above). */
  asRegistryMetric(): Metric {
    return this as unknown as Metric;
  }
}
