/** Builds the real telemetry collector of `flotilla-agent run` from its runtime. */
import * as fsp from 'node:fs/promises';
import { metricsAddress } from '../apply/telemetry-components.ts';
import type { Runtime } from '../commands/runtime.ts';
import { createNodeFetch } from '../transport/http.ts';
import { HostSampler } from './host.ts';
import type { VectorLogRing } from './log-lines.ts';
import { TelemetryCollector } from './collector.ts';

/** Largest metrics page the agent reads; a typical pipeline's is a few tens of KB. */
const MAX_METRICS_PAGE_BYTES = 4 * 1024 * 1024;
const SCRAPE_TIMEOUT_MS = 5_000;

/** The collector over /proc, statfs of Vector's data dir, and the exporter on the configured port. */
export function createTelemetryCollector(
  rt: Pick<Runtime, 'settings' | 'log'>,
  supervisor: { readonly running: boolean },
  logs: VectorLogRing,
): TelemetryCollector {
  const port = rt.settings.metricsPort;
  return new TelemetryCollector({
    metricsUrl: port > 0 ? `http://${metricsAddress(port)}/metrics` : undefined,
    fetch: createNodeFetch({ maxResponseBytes: MAX_METRICS_PAGE_BYTES }),
    host: new HostSampler(
      {
        readFile: (file) => fsp.readFile(file, 'utf8'),
        statfs: (dir) => fsp.statfs(dir),
        memoryUsage: () => process.memoryUsage(),
        cpuUsage: () => process.cpuUsage(),
      },
      rt.settings.vectorDataDir,
    ),
    logs,
    vectorRunning: () => supervisor.running,
    scrapeTimeoutMs: SCRAPE_TIMEOUT_MS,
    log: rt.log.child({ part: 'telemetry' }),
  });
}
