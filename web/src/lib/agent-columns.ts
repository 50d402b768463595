/**
 * The agents table's columns: which exist, their minimum widths and how they share spare room
 * (so the table works from 1,024 px to 2,560 px), which ones a user chose to see (remembered per
 * user in localStorage), and how many label chips fit a cell before "+N".
 */

export const AGENT_COLUMNS = [
  { key: 'hostname', label: 'Hostname', min: 200, flex: 2, required: true, shown: true },
  { key: 'status', label: 'Status', min: 150, flex: 0, required: false, shown: true },
  { key: 'config', label: 'Config', min: 104, flex: 0, required: false, shown: true },
  { key: 'error', label: 'Error', min: 120, flex: 3, required: false, shown: true },
  { key: 'group', label: 'Group', min: 100, flex: 1, required: false, shown: true },
  { key: 'agentVersion', label: 'Agent', min: 88, flex: 0, required: false, shown: true },
  { key: 'vectorVersion', label: 'Vector', min: 92, flex: 0, required: false, shown: false },
  { key: 'platform', label: 'Platform', min: 96, flex: 0, required: false, shown: false },
  { key: 'os', label: 'OS', min: 120, flex: 1, required: false, shown: false },
  { key: 'labels', label: 'Labels', min: 140, flex: 3, required: false, shown: true },
] as const;

export type AgentColumnKey = (typeof AGENT_COLUMNS)[number]['key'];
/** Width of the selection checkbox column (px). */
export const SELECT_COLUMN_WIDTH = 48;
/** Flex columns stop growing at this many times their minimum width; the rest goes to the last flex column. */
const MAX_GROWTH = 3;

const KEYS = AGENT_COLUMNS.map((c) => c.key) as readonly string[];

/** The columns shown when the user has chosen nothing. */
export function defaultColumns(): AgentColumnKey[] {
  return AGENT_COLUMNS.filter((c) => c.shown).map((c) => c.key);
}

const storageKey = (userId: string) => `flotilla.agentColumns.${userId}`;

/** The columns `userId` chose (unknown keys dropped, required ones kept); the defaults when none. */
export function loadColumns(storage: Pick<Storage, 'getItem'>, userId: string): AgentColumnKey[] {
  let saved: unknown;
  try {
    saved = JSON.parse(storage.getItem(storageKey(userId)) ?? 'null');
  } catch {
    saved = null;
  }
  if (!Array.isArray(saved)) return defaultColumns();
  const chosen = new Set(saved.filter((k): k is string => typeof k === 'string' && KEYS.includes(k)));
  return AGENT_COLUMNS.filter((c) => c.required || chosen.has(c.key)).map((c) => c.key);
}

/** Remember `userId`'s columns (in table order). */
export function saveColumns(storage: Pick<Storage, 'setItem'>, userId: string, keys: AgentColumnKey[]): void {
  storage.setItem(
    storageKey(userId),
    JSON.stringify(AGENT_COLUMNS.filter((c) => keys.includes(c.key)).map((c) => c.key)),
  );
}

/**
 * Pixel widths for the shown columns in `available` px: each gets its minimum; spare room is shared
 * by flex weight, a flex column growing to at most MAX_GROWTH × its minimum (the overflow goes to
 * the last flex column, so the table always fills its box). Below the sum of minimums the widths
 * stay at their minimums and the table scrolls sideways.
 */
export function layoutColumns(keys: AgentColumnKey[], available: number): Record<string, number> {
  const cols = AGENT_COLUMNS.filter((c) => keys.includes(c.key));
  const widths: Record<string, number> = Object.fromEntries(cols.map((c) => [c.key, c.min]));
  let spare = available - cols.reduce((sum, c) => sum + c.min, 0);
  let growing = cols.filter((c) => c.flex > 0);
  while (spare > 0.5 && growing.length > 0) {
    const weight = growing.reduce((sum, c) => sum + c.flex, 0);
    const share = spare;
    for (const c of growing) {
      const add = Math.min((share * c.flex) / weight, c.min * MAX_GROWTH - widths[c.key]!);
      widths[c.key]! += add;
      spare -= add;
    }
    growing = growing.filter((c) => widths[c.key]! < c.min * MAX_GROWTH - 0.5);
  }
  const last = cols.filter((c) => c.flex > 0).at(-1) ?? cols.at(-1);
  if (spare > 0 && last) widths[last.key]! += spare;
  return Object.fromEntries(Object.entries(widths).map(([k, w]) => [k, Math.floor(w)]));
}

/** Approximate width of a label chip (px) at the table's 11.5 px font. */
const chipWidth = (text: string) => 14 + text.length * 6.6;
const MORE_WIDTH = 30;
const CHIP_GAP = 4;

/** How many of `chips` fit in `width` px, leaving room for "+N" when some do not. At least one. */
export function fittingChips(chips: string[], width: number): number {
  let used = 0;
  for (let i = 0; i < chips.length; i++) {
    used += chipWidth(chips[i]!) + (i > 0 ? CHIP_GAP : 0);
    const room = i === chips.length - 1 ? width : width - MORE_WIDTH;
    if (used > room) return Math.max(1, i);
  }
  return chips.length;
}
