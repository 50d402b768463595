/**
 * The agents table's filter and sort: one query string in the server's agent query language
 * (`status:offline group:web label.env=prod "db-*"`; the server parses it, see
 * api/fleet/agent-query.ts), as the API takes it (AgentFilter.query, AgentOrder) and as the URL
 * keeps it (`?q=`, so a filtered view can be shared and survives reloads). Older links that used
 * one URL parameter per filter are read into the equivalent query.
 */
import { AgentOrderField, OrderDirection, type AgentFilter } from '../../../codegen/gql/graphql.ts';
import { queryTerm } from './agent-query.ts';

export interface AgentFilterState {
  /** The agent query ('' = every agent that is not revoked). */
  query: string;
}

export interface AgentOrderState {
  field: AgentOrderField;
  direction: OrderDirection;
}

type Query = Record<string, string | null | (string | null)[] | undefined>;

/** Pre-query-language URL parameters and the query field each one becomes. */
const LEGACY_PARAMS: Record<string, string> = {
  statuses: 'status',
  configStatuses: 'configStatus',
  platforms: 'platform',
  agentVersions: 'agentVersion',
  vectorVersions: 'vectorVersion',
};
const DEFAULT_ORDER: AgentOrderState = { field: AgentOrderField.Hostname, direction: OrderDirection.Asc };

/** An empty filter (every agent that is not revoked). */
export function emptyFilter(): AgentFilterState {
  return { query: '' };
}

const listOf = (value: Query[string]): string[] =>
  (Array.isArray(value) ? value : value ? [value] : [])
    .flatMap((v) => (v ? v.split(',') : []))
    .filter(Boolean);

/** Read filter and order from a route query; unknown keys and sort values are ignored. */
export function fromQuery(query: Query): { filter: AgentFilterState; order: AgentOrderState } {
  const terms = typeof query.q === 'string' && query.q.trim() ? [query.q.trim()] : [];
  for (const [param, field] of Object.entries(LEGACY_PARAMS)) {
    for (const value of listOf(query[param])) terms.push(queryTerm(field, value));
  }
  for (const label of listOf(query.labels)) {
    const eq = label.indexOf('=');
    if (eq > 0) terms.push(queryTerm(`label.${label.slice(0, eq).trim()}`, label.slice(eq + 1).trim(), '='));
  }
  const field = Object.values(AgentOrderField).find((f) => f === query.sort) ?? DEFAULT_ORDER.field;
  const direction = Object.values(OrderDirection).find((d) => d === query.dir) ?? DEFAULT_ORDER.direction;
  return { filter: { query: terms.join(' ') }, order: { field, direction } };
}

/** The route query for a filter and order; defaults are left out to keep URLs short. */
export function toQuery(filter: AgentFilterState, order: AgentOrderState): Record<string, string> {
  const query: Record<string, string> = {};
  if (filter.query.trim()) query.q = filter.query.trim();
  if (order.field !== DEFAULT_ORDER.field) query.sort = order.field;
  if (order.direction !== DEFAULT_ORDER.direction) query.dir = order.direction;
  return query;
}

/** The API's AgentFilter for a filter state (an empty query left out). */
export function toApiFilter(filter: AgentFilterState): AgentFilter {
  return filter.query.trim() ? { query: filter.query.trim() } : {};
}

/** Whether the filter narrows the list at all. */
export function isFiltered(filter: AgentFilterState): boolean {
  return filter.query.trim() !== '';
}

/** The agents page showing the agents a query selects (for links from other pages). */
export function agentsLink(query: string): { path: string; query: Record<string, string> } {
  return { path: '/agents', query: query.trim() ? { q: query.trim() } : {} };
}
