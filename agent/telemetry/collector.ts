/**
 * Builds the heartbeat's telemetry: scrapes the agent's own Vector metrics exporter (when Vector
 * runs), samples the host, and adds the recent Vector warning/error lines, within the protocol's
 * size budget (log lines go first, then the last components). A failed scrape leaves Vector's part
 * out; it never fails the heartbeat.
 */
import { MAX_TELEMETRY_BYTES, type Telemetry } from '../../api/protocol/telemetry.ts';
import type { Logger } from '../log.ts';
import { errorMessage } from '../log.ts';
import type { Fetch } from '../transport/http.ts';
import type { HostSampler } from './host.ts';
import type { VectorLogRing } from './log-lines.ts';
import { parsePrometheusText } from './prometheus.ts';
import { vectorMetrics } from './vector-metrics.ts';

export interface TelemetryCollectorOptions {
  /** `http://127.0.0.1:<port>/metrics` of the exporter the agent adds to Vector's config; none: no scrape. */
  metricsUrl: string | undefined;
  fetch: Fetch;
  host: Pick<HostSampler, 'sample'>;
  logs: Pick<VectorLogRing, 'recent'>;
  vectorRunning: () => boolean;
  scrapeTimeoutMs: number;
  log: Logger;
}

/** Collects one telemetry object per heartbeat. */
export class TelemetryCollector {
  private lastScrapeError = '';

  constructor(private readonly o: TelemetryCollectorOptions) {}

  /** The telemetry for the next heartbeat; never rejects. */
  async collect(): Promise<Telemetry> {
    const [scraped, host] = await Promise.all([this.scrape(), this.o.host.sample().catch(() => undefined)]);
    const logs = this.o.logs.recent();
    const telemetry: Telemetry = {
      ...(scraped ? { vector: scraped.vector, components: scraped.components } : {}),
      ...(host ? { host } : {}),
      ...(logs.length > 0 ? { logs } : {}),
    };
    return withinBudget(telemetry);
  }

  private async scrape(): Promise<ReturnType<typeof vectorMetrics> | undefined> {
    const url = this.o.metricsUrl;
    if (url === undefined || !this.o.vectorRunning()) return undefined;
    try {
      const res = await this.o.fetch(url, {
        method: 'GET',
        headers: { accept: 'text/plain' },
        signal: AbortSignal.timeout(this.o.scrapeTimeoutMs),
      });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      const page = parsePrometheusText(await res.text());
      this.lastScrapeError = '';
      return vectorMetrics(page.samples);
    } catch (error) {
      const message = errorMessage(error);
      // Once per distinct failure: Vector may still be starting, or the port may be taken.
      if (message !== this.lastScrapeError) {
        this.o.log.warn('cannot scrape vector metrics', { url, error: message });
        this.lastScrapeError = message;
      }
      return undefined;
    }
  }
}

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** `telemetry` cut to MAX_TELEMETRY_BYTES: without log lines first, then with fewer components. */
export function withinBudget(telemetry: Telemetry): Telemetry {
  if (jsonBytes(telemetry) <= MAX_TELEMETRY_BYTES) return telemetry;
  const trimmed: Telemetry = { ...telemetry, logs: undefined };
  const components = [...(telemetry.components ?? [])];
  while (components.length > 0 && jsonBytes({ ...trimmed, components }) > MAX_TELEMETRY_BYTES) {
    components.splice(Math.floor(components.length / 2));
  }
  return { ...trimmed, components };
}
