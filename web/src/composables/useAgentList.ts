/**
 * The agents table's data: the server-side filtered and sorted list, paged by cursor as the user
 * scrolls, kept live by `agentUpdated`. Only the server evaluates the agent query, so while a
 * query is set every batch of updates triggers a debounced refetch (rows that stop matching
 * leave, new matches arrive); revoked agents leave at once; a reconnect triggers a refetch.
 */
import { useClientHandle } from '@urql/vue';
import type { Ref } from 'vue';
import { useFragment } from '../../../codegen/gql/index.ts';
import type { AgentListRowFragment as AgentListRowData } from '../../../codegen/gql/graphql.ts';
import { AgentListRowFragment, AgentListUpdatedSubscription, AgentsQuery } from '../graphql/agents.ts';
import { useConnection } from '../urql.ts';
import { isFiltered, toApiFilter, type AgentFilterState, type AgentOrderState } from '../lib/agent-filter.ts';
import { useLiveList, type LiveList, type LivePage } from './useLiveList.ts';
import { queryOnce, subscribeTo } from './urqlSources.ts';
import { loadFleetRules } from './useFleetRules.ts';

export type AgentRow = AgentListRowData;

/**
 * Live agents for `filter` and `order` (refs; a change reloads from the top). Call in setup.
 * Failures show in the returned list's `error`; never throws.
 */
export function useAgentList(
  filter: Ref<AgentFilterState>,
  order: Ref<AgentOrderState>,
  pageSize = 200,
): LiveList<AgentRow> {
  const { client } = useClientHandle();
  const connection = useConnection();

  const read = async (count: number, after: string | null): Promise<LivePage<AgentRow>> => {
    const { maxPageSize } = await loadFleetRules(client);
    const data = await queryOnce(client, AgentsQuery, {
      filter: toApiFilter(filter.value),
      orderBy: { field: order.value.field, direction: order.value.direction },
      first: Math.min(count, maxPageSize),
      after,
    });
    const { edges, pageInfo, totalCount } = data.agents;
    return {
      items: edges.map((edge) => useFragment(AgentListRowFragment, edge.node)),
      total: totalCount,
      cursor: pageInfo.hasNextPage ? (pageInfo.endCursor ?? null) : null,
    };
  };

  return useLiveList<AgentRow>({
    pageSize,
    // Filtered lists refetch on every batch of updates: coalesce them over a second per thousand rows.
    debounceMs: 1000,
    key: () => [filter.value, order.value],
    reconnects: connection.reconnects,
    version: (agent) => Date.parse(agent.updatedAt),
    belongs: (agent) => !agent.revoked,
    /** Reads pages of at most fleetRules.maxPageSize until `size` rows (or the end). */
    async fetch(size) {
      const first = await read(size, null);
      const items = [...first.items];
      let cursor = first.cursor;
      while (cursor && items.length < size) {
        const next = await read(size - items.length, cursor);
        items.push(...next.items);
        cursor = next.cursor;
      }
      return { items, total: first.total, cursor };
    },
    fetchMore: (cursor, count) => read(count, cursor),
    subscribe(onBatch) {
      const filtered = isFiltered(filter.value);
      return subscribeTo(client, AgentListUpdatedSubscription, { groupId: null }, (data) =>
        onBatch({
          items: data.agentUpdated.agents.map((agent) => useFragment(AgentListRowFragment, agent)),
          membershipChanged: filtered || data.agentUpdated.membershipChanged,
        }),
      );
    },
  });
}
