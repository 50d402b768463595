/**
 * Request accounting for the simulator: every request the agents' transport makes goes through
 * `instrument(fetch)`, which counts it by route and status and records its latency. Long-polls are
 * their own route (`config-wait`): their latency is mostly the server holding them.
 */
import { performance } from 'node:perf_hooks';
import type { Fetch } from '../transport/http.ts';
import { combine, emptyHistogram, record, type Histogram } from './histogram.ts';

export const ROUTES = ['enrol', 'config', 'config-wait', 'heartbeat', 'release', 'other'] as const;
export type Route = (typeof ROUTES)[number];

/** Cumulative request figures; plain data, so it crosses process boundaries. */
export interface RequestTotals {
  /** route → status ("200", "204", …, "error": network failure, "timeout", "cancelled" by the sim) → count */
  byStatus: Record<string, Record<string, number>>;
  latency: Record<string, Histogram>;
  /** Requests waiting for an answer right now, per route (held long-polls are `config-wait`). */
  inFlight: Record<string, number>;
  /** "route: message" of network failures → count (the first 20 distinct messages). */
  errors: Record<string, number>;
}

/** Route of a request from its URL and method. */
export function routeOf(url: string, method: string): Route {
  if (url.includes('/config?')) return url.includes('wait=') ? 'config-wait' : 'config';
  if (url.includes('/heartbeat')) return 'heartbeat';
  if (url.endsWith('/enrol') && method === 'POST') return 'enrol';
  if (url.includes('/releases/')) return 'release';
  return 'other';
}

export class RequestStats {
  private readonly byStatus = new Map<Route, Map<string, number>>();
  private readonly latency = new Map<Route, Histogram>();
  private readonly inFlight = new Map<Route, number>();
  private readonly errors = new Map<string, number>();

  /** Requests aborted once `stop` aborted (the end of the run) are `cancelled`, not timeouts. */
  constructor(private readonly stop: AbortSignal) {}

  /** Wrap `inner` so each request is counted and timed. */
  instrument(inner: Fetch): Fetch {
    return async (url, init) => {
      const route = routeOf(url, init.method);
      const started = performance.now();
      this.inFlight.set(route, (this.inFlight.get(route) ?? 0) + 1);
      try {
        const response = await inner(url, init);
        this.count(route, String(response.status), started);
        return response;
      } catch (error) {
        if (!init.signal.aborted) this.failed(route, error, started);
        else if (this.stop.aborted) this.count(route, 'cancelled');
        else this.count(route, 'timeout', started);
        throw error;
      } finally {
        this.inFlight.set(route, (this.inFlight.get(route) ?? 1) - 1);
      }
    };
  }

  /** A copy of the totals so far. */
  totals(): RequestTotals {
    const out: RequestTotals = {
      byStatus: {},
      latency: {},
      inFlight: {},
      errors: Object.fromEntries(this.errors),
    };
    for (const [route, statuses] of this.byStatus) out.byStatus[route] = Object.fromEntries(statuses);
    for (const [route, h] of this.latency) out.latency[route] = [...h];
    for (const [route, n] of this.inFlight) out.inFlight[route] = n;
    return out;
  }

  private failed(route: Route, error: unknown, started: number): void {
    this.count(route, 'error', started);
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const key = `${route}: ${cause instanceof Error ? cause.message : String(cause)}`;
    if (this.errors.has(key) || this.errors.size < 20) this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  /** Count one answer; `started` is absent for cancelled requests, whose time means nothing. */
  private count(route: Route, status: string, started?: number): void {
    let statuses = this.byStatus.get(route);
    if (!statuses) this.byStatus.set(route, (statuses = new Map()));
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (started === undefined) return;
    let h = this.latency.get(route);
    if (!h) this.latency.set(route, (h = emptyHistogram()));
    record(h, performance.now() - started);
  }
}

/** Totals of several shards added up (or `later - earlier` with sign -1, for one interval). */
export function addTotals(a: RequestTotals, b: RequestTotals, sign: 1 | -1 = 1): RequestTotals {
  const out: RequestTotals = { byStatus: {}, latency: {}, inFlight: {}, errors: { ...a.errors } };
  for (const [key, n] of Object.entries(b.errors)) out.errors[key] = (out.errors[key] ?? 0) + sign * n;
  const routes = new Set([...Object.keys(a.byStatus), ...Object.keys(b.byStatus)]);
  for (const route of routes) {
    const statuses: Record<string, number> = { ...a.byStatus[route] };
    for (const [status, n] of Object.entries(b.byStatus[route] ?? {}))
      statuses[status] = (statuses[status] ?? 0) + sign * n;
    out.byStatus[route] = statuses;
    out.latency[route] = combine(
      a.latency[route] ?? emptyHistogram(),
      b.latency[route] ?? emptyHistogram(),
      sign,
    );
  }
  const flight = sign === 1 ? [a, b] : [a];
  for (const t of flight)
    for (const [route, n] of Object.entries(t.inFlight)) out.inFlight[route] = (out.inFlight[route] ?? 0) + n;
  return out;
}

/** Total number of requests counted in `t`. */
export function requestCount(t: RequestTotals): number {
  let n = 0;
  for (const statuses of Object.values(t.byStatus)) for (const c of Object.values(statuses)) n += c;
  return n;
}
