/** Number and text formatting shared by the pages. */

const integer = new Intl.NumberFormat('en');

/** 10000 → "10,000". */
export function formatCount(n: number): string {
  return integer.format(n);
}

/** "1 agent", "2,500 agents"; `plural` defaults to singular + "s". */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : pluralForm}`;
}

/**
 * part/whole as a whole percentage rounded down (199 of 200 is 99: 100 only when done), 0 when
 * whole is 0, clamped to 0..100.
 */
export function percent(part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Math.min(100, Math.max(0, Math.floor((part / whole) * 100)));
}

/** Parse "key=value" into a pair; null when there is no "=" or the key is empty. */
export function parseLabel(text: string): [string, string] | null {
  const eq = text.indexOf('=');
  if (eq <= 0) return null;
  return [text.slice(0, eq).trim(), text.slice(eq + 1).trim()];
}

/** A rate per second for text: one decimal from 1 up, two significant digits below ("0.017"), "–" when unknown. */
export function formatRate(v: number | null | undefined): string {
  if (v == null) return '–';
  return v >= 1 || v === 0 ? v.toFixed(1) : v.toPrecision(2);
}

/** A byte size for people: `512 B`, `12.3 KiB`, `1.5 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}
