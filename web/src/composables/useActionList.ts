/**
 * A live list of actions (newest first) for one agent or one bulk request, optionally only some
 * statuses: the action lists of the agent page and the actions page.
 */
import { useClientHandle } from '@urql/vue';
import type { Ref } from 'vue';
import type { ActionStatus, ActionsQuery as ActionsData } from '../../../codegen/gql/graphql.ts';
import { ActionsQuery, ActionsUpdatedSubscription } from '../graphql/actions.ts';
import { useConnection } from '../urql.ts';
import { useLiveList, type LiveList } from './useLiveList.ts';
import { queryOnce, subscribeTo } from './urqlSources.ts';
import { loadFleetRules } from './useFleetRules.ts';

export type ActionRow = ActionsData['actions']['edges'][number]['node'];

export interface ActionScope {
  agentId?: string;
  bulkId?: string;
  statuses?: ActionStatus[];
}

/** Live actions in `scope` (a ref; changes reload). Call in setup; failures land in `error`. */
export function useActionList(scope: Ref<ActionScope>, pageSize = 100): LiveList<ActionRow> {
  const { client } = useClientHandle();
  const filter = () => ({
    ...(scope.value.agentId ? { agentIds: [scope.value.agentId] } : {}),
    ...(scope.value.bulkId ? { bulkId: scope.value.bulkId } : {}),
    ...(scope.value.statuses?.length ? { statuses: scope.value.statuses } : {}),
  });
  const read = async (first: number, after: string | null) => {
    const { maxPageSize } = await loadFleetRules(client);
    const data = await queryOnce(client, ActionsQuery, {
      filter: filter(),
      first: Math.min(first, maxPageSize),
      after,
    });
    const { edges, pageInfo, totalCount } = data.actions;
    return {
      items: edges.map((e) => e.node),
      total: totalCount,
      cursor: pageInfo.hasNextPage ? (pageInfo.endCursor ?? null) : null,
    };
  };
  return useLiveList<ActionRow>({
    pageSize,
    key: scope,
    reconnects: useConnection().reconnects,
    version: (action) => Date.parse(action.updatedAt),
    belongs: (action) => !scope.value.statuses?.length || scope.value.statuses.includes(action.status),
    fetch: (size) => read(size, null),
    fetchMore: (cursor, count) => read(count, cursor),
    subscribe: (onBatch) =>
      subscribeTo(
        client,
        ActionsUpdatedSubscription,
        { agentId: scope.value.agentId ?? null, bulkId: scope.value.bulkId ?? null },
        (data) =>
          onBatch({
            items: data.actionUpdated.actions,
            membershipChanged: data.actionUpdated.membershipChanged,
          }),
      ),
  });
}
