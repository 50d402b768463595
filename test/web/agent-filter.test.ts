/**
 * The agents table's filter: one agent query kept in the URL as `?q=`, older per-filter URL
 * parameters read into the equivalent query, and sent to the API without empty parts.
 */
import { describe, expect, it } from 'vitest';
import {
  agentsLink,
  emptyFilter,
  fromQuery,
  isFiltered,
  toApiFilter,
  toQuery,
} from '../../web/src/lib/agent-filter.ts';

describe('agent filter', () => {
  it('round-trips through the URL, leaving defaults out', () => {
    const filter = { query: 'status:offline label.env=prod' };
    const query = toQuery(filter, { field: 'last_heartbeat_at', direction: 'desc' });
    expect(query).toEqual({ q: 'status:offline label.env=prod', sort: 'last_heartbeat_at', dir: 'desc' });
    expect(fromQuery(query)).toEqual({ filter, order: { field: 'last_heartbeat_at', direction: 'desc' } });
    expect(toQuery(emptyFilter(), { field: 'hostname', direction: 'asc' })).toEqual({});
  });

  it('reads links from before the query language into query terms', () => {
    const { filter } = fromQuery({
      statuses: 'online',
      configStatuses: ['failed'],
      agentVersions: '0.2.0',
      labels: 'team=data platform',
    });
    expect(filter.query).toBe(
      'status:online configStatus:failed agentVersion:0.2.0 label.team="data platform"',
    );
  });

  it('ignores unknown sort fields and directions', () => {
    const { order } = fromQuery({ sort: 'drop table', dir: 'sideways' });
    expect(order).toEqual({ field: 'hostname', direction: 'asc' });
  });

  it('sends the trimmed query only when there is one', () => {
    expect(toApiFilter(emptyFilter())).toEqual({});
    expect(toApiFilter({ query: '  ' })).toEqual({});
    expect(toApiFilter({ query: ' group:web ' })).toEqual({ query: 'group:web' });
    expect(isFiltered({ query: ' ' })).toBe(false);
    expect(isFiltered({ query: 'x' })).toBe(true);
    expect(agentsLink('configStatus:failed')).toEqual({
      path: '/agents',
      query: { q: 'configStatus:failed' },
    });
  });
});
