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

/** part/whole as a whole percentage (0 when whole is 0), clamped to 0..100. */
export function percent(part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Math.min(100, Math.max(0, Math.round((part / whole) * 100)));
}

/** Bytes as "512 B", "1.4 KiB", "12.0 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Labels as "key=value" strings, sorted by key. */
export function labelPairs(labels: Record<string, unknown> | null | undefined): string[] {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${String(value)}`);
}

/** Parse "key=value" into a pair; null when there is no "=" or the key is empty. */
export function parseLabel(text: string): [string, string] | null {
  const eq = text.indexOf('=');
  if (eq <= 0) return null;
  return [text.slice(0, eq).trim(), text.slice(eq + 1).trim()];
}
