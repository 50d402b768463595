/** The audit log's field-level diff and export file naming. */
import { describe, expect, it } from 'vitest';
import {
  auditExportFileName,
  auditExportMediaType,
  diffSnapshots,
  diffValue,
} from '../../web/src/lib/audit-diff.ts';

describe('diffSnapshots', () => {
  it('lists added, removed and changed leaves with nested paths, in key order', () => {
    const before = { name: 'web', labels: { env: 'prod', team: 'ops' }, outputs: ['a', 'b'], keep: 1 };
    const after = { name: 'web-eu', labels: { env: 'prod', region: 'eu' }, outputs: ['a'], keep: 1 };
    expect(diffSnapshots(before, after)).toEqual([
      { path: 'labels.region', kind: 'added', after: 'eu' },
      { path: 'labels.team', kind: 'removed', before: 'ops' },
      { path: 'name', kind: 'changed', before: 'web', after: 'web-eu' },
      { path: 'outputs[1]', kind: 'removed', before: 'b' },
    ]);
  });

  it('treats a missing snapshot as empty: creation adds every field, deletion removes it', () => {
    expect(diffSnapshots(null, { slug: 'web', options: { a: 1 } })).toEqual([
      { path: 'options', kind: 'added', after: { a: 1 } },
      { path: 'slug', kind: 'added', after: 'web' },
    ]);
    expect(diffSnapshots({ slug: 'web' }, undefined)).toEqual([
      { path: 'slug', kind: 'removed', before: 'web' },
    ]);
    expect(diffSnapshots(null, null)).toEqual([]);
  });

  it('reports a type change as one change, and quotes keys that are not identifiers', () => {
    expect(diffSnapshots({ o: { a: 1 } }, { o: 'flat' })).toEqual([
      { path: 'o', kind: 'changed', before: { a: 1 }, after: 'flat' },
    ]);
    expect(diffSnapshots({ labels: { 'app.kubernetes.io/name': 'x' } }, { labels: {} })).toEqual([
      { path: 'labels["app.kubernetes.io/name"]', kind: 'removed', before: 'x' },
    ]);
    expect(diffSnapshots({ n: null }, { n: 0 })).toEqual([
      { path: 'n', kind: 'changed', before: null, after: 0 },
    ]);
  });

  it('formats values for a cell', () => {
    expect(diffValue('text')).toBe('text');
    expect(diffValue('')).toBe('""');
    expect(diffValue({ a: [1] })).toBe('{"a":[1]}');
    expect(diffValue(null)).toBe('null');
    expect(diffValue(undefined)).toBe('—');
  });
});

describe('audit export files', () => {
  it('names the download by format and UTC time, with no colons', () => {
    const at = new Date('2026-11-23T11:33:28.123Z');
    expect(auditExportFileName('CSV', at)).toBe('flotilla-audit-2026-11-23T11-33-28Z.csv');
    expect(auditExportFileName('JSON', at)).toBe('flotilla-audit-2026-11-23T11-33-28Z.json');
    expect(auditExportMediaType('CSV')).toBe('text/csv;charset=utf-8');
    expect(auditExportMediaType('JSON')).toBe('application/json');
  });
});
