/** The agents table's columns: widths from 1,024 to 2,560 px, the per-user choice, label chips. */
import { describe, expect, it } from 'vitest';
import {
  AGENT_COLUMNS,
  defaultColumns,
  fittingChips,
  layoutColumns,
  loadColumns,
  saveColumns,
} from '../../web/src/lib/agent-columns.ts';

const memory = () => {
  const data = new Map<string, string>();
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    data,
  };
};
const minOf = (key: string) => AGENT_COLUMNS.find((c) => c.key === key)!.min;
const sum = (w: Record<string, number>) => Object.values(w).reduce((a, b) => a + b, 0);

describe('agent table columns', () => {
  it('never goes below the minimum widths, and fills the box when there is room', () => {
    const keys = defaultColumns();
    const narrow = layoutColumns(keys, 800);
    for (const key of keys) expect(narrow[key]).toBe(minOf(key));
    for (const width of [1000, 1600, 2400]) {
      const w = layoutColumns(keys, width);
      for (const key of keys) expect(w[key]).toBeGreaterThanOrEqual(minOf(key));
      expect(sum(w)).toBeGreaterThan(width - keys.length);
      expect(sum(w)).toBeLessThanOrEqual(width);
    }
  });

  it('shares spare room so hostname does not take half of a wide screen', () => {
    const w = layoutColumns(defaultColumns(), 1800);
    expect(w.hostname).toBeLessThanOrEqual(minOf('hostname') * 3);
    expect(w.hostname! / 1800).toBeLessThan(0.35);
    expect(w.labels).toBeGreaterThan(minOf('labels'));
    expect(w.status).toBe(minOf('status'));
  });

  it('remembers the choice per user, keeps Hostname, drops unknown keys', () => {
    const store = memory();
    expect(loadColumns(store, 'u1')).toEqual(defaultColumns());
    saveColumns(store, 'u1', ['labels', 'status']);
    expect(loadColumns(store, 'u1')).toEqual(['hostname', 'status', 'labels']);
    expect(loadColumns(store, 'u2')).toEqual(defaultColumns());
    store.setItem('flotilla.agentColumns.u3', '["os","bogus"]');
    expect(loadColumns(store, 'u3')).toEqual(['hostname', 'os']);
    store.setItem('flotilla.agentColumns.u4', '{not json');
    expect(loadColumns(store, 'u4')).toEqual(defaultColumns());
  });

  it('fits as many label chips as the cell holds, leaving room for "+N"', () => {
    const chips = ['env=prod', 'team=data', 'region=eu-west-1', 'tier=gold'];
    expect(fittingChips(chips, 1000)).toBe(4);
    const some = fittingChips(chips, 180);
    expect(some).toBeGreaterThanOrEqual(1);
    expect(some).toBeLessThan(4);
    expect(fittingChips(chips, 10)).toBe(1);
    expect(fittingChips([], 100)).toBe(0);
  });
});
