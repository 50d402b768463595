/**
 * The agents table's filter and sort: as the API takes them (AgentFilter, AgentOrder), as the URL
 * keeps them (so a filtered view can be shared and survives reloads), and as a predicate that
 * tells whether a live-updated agent still belongs in the filtered list.
 */
import {
  AgentOrderField,
  AgentStatus,
  ConfigStatus,
  OrderDirection,
  Platform,
} from '../../../codegen/gql/graphql.ts';

export interface AgentFilterState {
  hostname: string;
  groupIds: string[];
  statuses: AgentStatus[];
  configStatuses: ConfigStatus[];
  agentVersions: string[];
  vectorVersions: string[];
  platforms: Platform[];
  /** "key=value" strings; every one must match. */
  labels: string[];
}

export interface AgentOrderState {
  field: AgentOrderField;
  direction: OrderDirection;
}

/** What `belongs` needs to know about an agent. */
export interface FilterableAgent {
  hostname: string;
  status: AgentStatus;
  configStatus: ConfigStatus;
  agentVersion: string;
  vectorVersion: string;
  platform: Platform;
  revoked: boolean;
  group: { id: string };
  labels: { key: string; value: string }[];
}

type Query = Record<string, string | null | (string | null)[] | undefined>;

const LIST_KEYS = [
  'groupIds',
  'statuses',
  'configStatuses',
  'agentVersions',
  'vectorVersions',
  'platforms',
  'labels',
] as const;
/** The values a list of enum values may hold (other lists take any string). */
const ENUM_VALUES: Partial<Record<(typeof LIST_KEYS)[number], readonly string[]>> = {
  statuses: Object.values(AgentStatus),
  configStatuses: Object.values(ConfigStatus),
  platforms: Object.values(Platform),
};
const DEFAULT_ORDER: AgentOrderState = { field: AgentOrderField.Hostname, direction: OrderDirection.Asc };

/** An empty filter (every agent that is not revoked). */
export function emptyFilter(): AgentFilterState {
  return {
    hostname: '',
    groupIds: [],
    statuses: [],
    configStatuses: [],
    agentVersions: [],
    vectorVersions: [],
    platforms: [],
    labels: [],
  };
}

const listOf = (value: Query[string]): string[] =>
  (Array.isArray(value) ? value : value ? [value] : [])
    .flatMap((v) => (v ? v.split(',') : []))
    .filter(Boolean);

/** Read filter and order from a route query; unknown keys and enum values are ignored. */
export function fromQuery(query: Query): { filter: AgentFilterState; order: AgentOrderState } {
  const filter = emptyFilter();
  filter.hostname = typeof query.q === 'string' ? query.q : '';
  for (const key of LIST_KEYS) {
    const allowed = ENUM_VALUES[key];
    (filter[key] as string[]) = listOf(query[key]).filter((value) => !allowed || allowed.includes(value));
  }
  const field = Object.values(AgentOrderField).find((f) => f === query.sort) ?? DEFAULT_ORDER.field;
  const direction = Object.values(OrderDirection).find((d) => d === query.dir) ?? DEFAULT_ORDER.direction;
  return { filter, order: { field, direction } };
}

/** The route query for a filter and order; defaults are left out to keep URLs short. */
export function toQuery(filter: AgentFilterState, order: AgentOrderState): Record<string, string> {
  const query: Record<string, string> = {};
  if (filter.hostname.trim()) query.q = filter.hostname.trim();
  for (const key of LIST_KEYS) if (filter[key].length) query[key] = filter[key].join(',');
  if (order.field !== DEFAULT_ORDER.field) query.sort = order.field;
  if (order.direction !== DEFAULT_ORDER.direction) query.dir = order.direction;
  return query;
}

/** The API's AgentFilter for a filter state (empty lists left out). */
export function toApiFilter(filter: AgentFilterState) {
  const labels = filter.labels.flatMap((text) => {
    const eq = text.indexOf('=');
    return eq > 0 ? [{ key: text.slice(0, eq).trim(), value: text.slice(eq + 1).trim() }] : [];
  });
  return {
    ...(filter.hostname.trim() ? { hostname: filter.hostname.trim() } : {}),
    ...Object.fromEntries(
      LIST_KEYS.filter((k) => k !== 'labels' && filter[k].length).map((k) => [k, filter[k]]),
    ),
    ...(labels.length ? { labels } : {}),
  };
}

/** How many conditions the filter sets (for "3 filters" badges). */
export function activeFilterCount(filter: AgentFilterState): number {
  return (filter.hostname.trim() ? 1 : 0) + LIST_KEYS.filter((k) => filter[k].length > 0).length;
}

/** Whether an agent (as a live update describes it) matches the filter, as the server would decide. */
export function matchesFilter(agent: FilterableAgent, filter: AgentFilterState): boolean {
  const within = <T>(list: T[], value: T) => list.length === 0 || list.includes(value);
  const search = filter.hostname.trim().toLowerCase();
  return (
    !agent.revoked &&
    (!search || agent.hostname.toLowerCase().includes(search)) &&
    within(filter.groupIds, agent.group.id) &&
    within(filter.statuses, agent.status) &&
    within(filter.configStatuses, agent.configStatus) &&
    within(filter.agentVersions, agent.agentVersion) &&
    within(filter.vectorVersions, agent.vectorVersion) &&
    within(filter.platforms, agent.platform) &&
    filter.labels.every((text) => {
      const eq = text.indexOf('=');
      const key = text.slice(0, eq).trim();
      const value = text.slice(eq + 1).trim();
      return agent.labels.some((l) => l.key === key && l.value === value);
    })
  );
}
