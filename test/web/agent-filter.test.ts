/**
 * The agents table's filter: kept in the URL, sent to the API without empty parts, and used to
 * decide whether a live-updated agent still belongs in the filtered list.
 */
import { describe, expect, it } from 'vitest';
import {
  activeFilterCount,
  emptyFilter,
  fromQuery,
  matchesFilter,
  toApiFilter,
  toQuery,
  type FilterableAgent,
} from '../../web/src/lib/agent-filter.ts';

const agent: FilterableAgent = {
  hostname: 'web-01.prod.example.com',
  status: 'online',
  configStatus: 'up_to_date',
  agentVersion: '0.1.0',
  vectorVersion: '0.58.0',
  platform: 'linux',
  revoked: false,
  group: { id: 'g1' },
  labels: [{ key: 'env', value: 'prod' }],
};

describe('agent filter', () => {
  it('round-trips through the URL, leaving defaults out', () => {
    const filter = {
      ...emptyFilter(),
      hostname: 'web',
      statuses: ['offline' as const],
      labels: ['env=prod'],
    };
    const query = toQuery(filter, { field: 'last_heartbeat_at', direction: 'desc' });
    expect(query).toEqual({
      q: 'web',
      statuses: 'offline',
      labels: 'env=prod',
      sort: 'last_heartbeat_at',
      dir: 'desc',
    });
    expect(fromQuery(query)).toEqual({ filter, order: { field: 'last_heartbeat_at', direction: 'desc' } });
    expect(toQuery(emptyFilter(), { field: 'hostname', direction: 'asc' })).toEqual({});
  });

  it('ignores unknown sort fields and reads repeated query keys', () => {
    const { filter, order } = fromQuery({ sort: 'drop table', groupIds: ['a', 'b,c'] });
    expect(order).toEqual({ field: 'hostname', direction: 'asc' });
    expect(filter.groupIds).toEqual(['a', 'b', 'c']);
  });

  it('drops enum values the API does not know, so a hand-edited URL still loads', () => {
    const { filter, order } = fromQuery({ statuses: 'online,asleep', platforms: 'windows', dir: 'sideways' });
    expect(filter.statuses).toEqual(['online']);
    expect(filter.platforms).toEqual([]);
    expect(order.direction).toBe('asc');
  });

  it('sends only the conditions that are set, labels as key/value pairs', () => {
    expect(toApiFilter(emptyFilter())).toEqual({});
    expect(
      toApiFilter({ ...emptyFilter(), hostname: ' web ', platforms: ['linux'], labels: ['env=prod'] }),
    ).toEqual({
      hostname: 'web',
      platforms: ['linux'],
      labels: [{ key: 'env', value: 'prod' }],
    });
    expect(activeFilterCount({ ...emptyFilter(), hostname: 'x', statuses: ['online'] })).toBe(2);
  });

  it('decides membership like the server: every condition, case-insensitive hostname, no revoked agents', () => {
    expect(matchesFilter(agent, emptyFilter())).toBe(true);
    expect(matchesFilter(agent, { ...emptyFilter(), hostname: 'WEB-01' })).toBe(true);
    expect(matchesFilter(agent, { ...emptyFilter(), statuses: ['offline'] })).toBe(false);
    expect(matchesFilter(agent, { ...emptyFilter(), groupIds: ['g1', 'g2'], labels: ['env=prod'] })).toBe(
      true,
    );
    expect(matchesFilter(agent, { ...emptyFilter(), labels: ['env=staging'] })).toBe(false);
    expect(matchesFilter({ ...agent, revoked: true }, emptyFilter())).toBe(false);
  });
});
