/**
 * The key/value editor of map-valued options (Loki `labels`, HTTP `request.headers`, Elasticsearch
 * `query`): rows as typed, and the map they store.
 */
type Values = Record<string, unknown>;

/** One row of a map widget, as typed. */
export interface MapRow {
  key: string;
  value: string;
}

/** The rows a map widget shows for a stored map: string values as they are, others as JSON. */
export function mapRows(value: unknown): MapRow[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value as Values).map(([key, entry]) => ({
    key,
    value: typeof entry === 'string' ? entry : JSON.stringify(entry),
  }));
}

/**
 * The stored map for a map widget's rows: rows without a key are left out (the widget keeps them
 * while typed), a value written as a JSON object is stored as that object; no rows remove the option.
 */
export function mapFromRows(rows: readonly MapRow[]): Values | undefined {
  const map: Values = {};
  for (const row of rows) {
    const key = row.key.trim();
    if (!key) continue;
    map[key] = row.value.trim().startsWith('{') ? parseObject(row.value) : row.value;
  }
  return Object.keys(map).length > 0 ? map : undefined;
}

function parseObject(text: string): unknown {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : text;
  } catch {
    return text;
  }
}
