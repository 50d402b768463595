/**
 * Time helpers for the dashboard: "3 min ago" for tables, the exact local time for tooltips.
 * Pure functions; `now` is always a parameter so callers can tick it.
 */

const UNITS: [limitSeconds: number, divisor: number, unit: Intl.RelativeTimeFormatUnit][] = [
  [60, 1, 'second'],
  [3600, 60, 'minute'],
  [86_400, 3600, 'hour'],
  [86_400 * 30, 86_400, 'day'],
  [86_400 * 365, 86_400 * 30, 'month'],
  [Number.POSITIVE_INFINITY, 86_400 * 365, 'year'],
];

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto', style: 'short' });
const exact = new Intl.DateTimeFormat('en-GB', {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
});

/** Parse an ISO timestamp from the API; null for null, undefined or an invalid string. */
function parseTime(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "12 sec ago", "in 3 hr"; "never" when there is no time. Times within 5 s of `now` are "just now". */
export function timeAgo(iso: string | null | undefined, now: Date): string {
  const date = parseTime(iso);
  if (!date) return 'never';
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  if (Math.abs(seconds) < 5) return 'just now';
  const [, divisor, unit] = UNITS.find(([limit]) => Math.abs(seconds) < limit) ?? UNITS[UNITS.length - 1];
  return relative.format(Math.trunc(seconds / divisor), unit);
}

/** The exact local time with seconds and time zone, e.g. "23 Nov 2026, 11:33:28 UTC"; "—" when absent. */
export function exactTime(iso: string | null | undefined): string {
  const date = parseTime(iso);
  return date ? exact.format(date) : '—';
}

/** A duration in seconds as "45 s", "12 min", "3 h 20 min" or "2 d 4 h". */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) {
    const minutes = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)} h${minutes ? ` ${minutes} min` : ''}`;
  }
  const hours = Math.floor((s % 86_400) / 3600);
  return `${Math.floor(s / 86_400)} d${hours ? ` ${hours} h` : ''}`;
}

/**
 * The offline rule in words, e.g. "Online until 5 min pass without a heartbeat; then offline.":
 * why "Online · 4 min ago" is not a contradiction. The threshold comes from fleetRules.
 */
export function offlineRule(offlineAfterSeconds: number): string {
  return `Online until ${formatDuration(offlineAfterSeconds)} pass without a heartbeat; then offline.`;
}
