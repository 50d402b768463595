/**
 * The connection cap's default (api/open-files.ts): read from the open-file limit so that agents
 * holding connections cannot take the files the database pool, Redis and backups need.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../api/config.ts';
import {
  DEFAULT_MAX_CONNECTIONS,
  defaultMaxConnections,
  FILES_KEPT_FOR_THE_SERVER,
  openFileLimit,
} from '../../api/open-files.ts';

const limits = (soft: string) =>
  [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max processes             unlimited            unlimited            processes ',
    `Max open files            ${soft.padEnd(20)} 1048576              files     `,
    'Max locked memory         8388608              8388608              bytes     ',
  ].join('\n');

describe('the connection cap from the open-file limit', () => {
  it('reads the soft open-file limit; unlimited, missing or unreadable means unknown', () => {
    expect(openFileLimit(limits('20000'))).toBe(20_000);
    expect(openFileLimit(limits('unlimited'))).toBeNull();
    expect(openFileLimit('Max processes 100 100 processes')).toBeNull();
    expect(openFileLimit(null)).toBeNull();
  });

  it('keeps files for the server under the limit, a tenth of a small one, never more than the default', () => {
    expect(defaultMaxConnections(20_000)).toBe(20_000 - FILES_KEPT_FOR_THE_SERVER);
    expect(defaultMaxConnections(1024)).toBe(1024 - 103);
    expect(defaultMaxConnections(1_048_576)).toBe(DEFAULT_MAX_CONNECTIONS);
    expect(defaultMaxConnections(null)).toBe(DEFAULT_MAX_CONNECTIONS);
    expect(defaultMaxConnections(1)).toBe(1);
  });

  it('is the default of FLOTILLA_MAX_CONNECTIONS, which still wins when set', () => {
    const own = openFileLimit(readFileSync('/proc/self/limits', 'utf8'));
    expect(own).not.toBeNull();
    const cap = loadConfig({}).maxConnections;
    expect(cap).toBe(defaultMaxConnections(own));
    expect(cap).toBeLessThan(own as number);
    expect(loadConfig({ FLOTILLA_MAX_CONNECTIONS: '50' }).maxConnections).toBe(50);
  });
});
