/** Pure helpers for throughput charts: merging live minutes into a series, and the chart series. */

export interface MinutePoint {
  minute: string;
  eventsIn: number;
  eventsOut: number;
  errors: number;
  discarded: number;
}

/**
 * `series` with `incoming` merged in: a minute already present is replaced (it was still filling),
 * new minutes are appended; points older than `sinceMs` are dropped. Sorted by minute.
 */
export function mergeMinutes<P extends MinutePoint>(
  series: readonly P[],
  incoming: readonly P[],
  sinceMs: number,
): P[] {
  const byMinute = new Map(series.map((p) => [p.minute, p]));
  for (const p of incoming) byMinute.set(p.minute, p);
  return [...byMinute.values()]
    .filter((p) => new Date(p.minute).getTime() >= sinceMs)
    .sort((a, b) => a.minute.localeCompare(b.minute));
}

/** Chart series of events in and out per second. */
export function throughputSeries(points: readonly MinutePoint[]) {
  const at = (p: MinutePoint) => new Date(p.minute).getTime();
  return [
    { name: 'in', points: points.map((p): [number, number] => [at(p), p.eventsIn]) },
    { name: 'out', points: points.map((p): [number, number] => [at(p), p.eventsOut]) },
  ];
}

/** Chart series of errors and discarded events as a percentage of events in. */
export function errorRateSeries(points: readonly MinutePoint[]) {
  const at = (p: MinutePoint) => new Date(p.minute).getTime();
  const pct = (n: number, p: MinutePoint) => (p.eventsIn > 0 ? (100 * n) / p.eventsIn : null);
  return [
    { name: 'errors %', points: points.map((p): [number, number | null] => [at(p), pct(p.errors, p)]) },
    { name: 'discarded %', points: points.map((p): [number, number | null] => [at(p), pct(p.discarded, p)]) },
  ];
}
