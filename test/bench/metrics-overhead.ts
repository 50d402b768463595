/**
 * The cost /metrics instrumentation adds to one agent request (the 204 poll's path in app.ts): a
 * start time, a `finish` listener on the response, the route's name and one histogram observation.
 * Measured in CPU time, in-process on an EventEmitter standing in for the ServerResponse, against an
 * uninstrumented loop in the same run; compare the figure with the 204 poll's time per request
 * from test/bench/protocol.ts (`npm run bench` does, beside the protocol table). Alone:
 * `npx tsx test/bench/metrics-overhead.ts`.
 */
import { EventEmitter } from 'node:events';
import { createMetrics } from '../../api/metrics.ts';
import { agentRouteName } from '../../api/rest/router.ts';
import { paths } from '../../api/protocol/v1.ts';

const N = 500_000;
const path = paths.config('0b6d8c1e-4a52-4c55-9d1f-2f1f7c1a9e11');
const metrics = createMetrics();

function bare(): void {
  const res = new EventEmitter();
  res.once('finish', () => undefined);
  res.emit('finish');
}

function instrumented(): void {
  const res = new EventEmitter();
  const started = process.hrtime.bigint();
  res.once('finish', () => metrics.observeRequest(agentRouteName(path), 'GET', 204, started));
  res.emit('finish');
}

/** CPU time (user + system) per call in ns: unaffected by other processes on a busy machine. */
function nsPerCall(fn: () => void): number {
  const started = process.cpuUsage();
  for (let i = 0; i < N; i++) fn();
  const used = process.cpuUsage(started);
  return ((used.user + used.system) * 1000) / N;
}

/** The instrumentation's CPU time per request in ns: median of five rounds of N, and each round. */
export function measureMetricsOverhead(): { nsPerRequestMedian: number; rounds: number[]; n: number } {
  for (let i = 0; i < 3; i++) {
    nsPerCall(instrumented); // warm-up
    nsPerCall(bare);
  }
  const rounds = Array.from({ length: 5 }, () => nsPerCall(instrumented) - nsPerCall(bare)).sort(
    (a, b) => a - b,
  );
  return { nsPerRequestMedian: Math.round(rounds[2]), rounds: rounds.map(Math.round), n: N };
}

if (import.meta.url === `file://${process.argv[1]}`)
  process.stdout.write(`${JSON.stringify(measureMetricsOverhead())}\n`);
