/**
 * The number of firing alerts, live (the navigation badge): fetched, then refetched whenever
 * alertUpdated reports a change and after every reconnect. Call in a component's setup.
 */
import { computed, type ComputedRef } from 'vue';
import { useClientHandle } from '@urql/vue';
import { useLiveValue } from './useLiveValue.ts';
import { queryOnce, subscribeTo } from './urqlSources.ts';
import { useConnection } from '../urql.ts';
import { AlertCountsQuery, AlertUpdatedSubscription } from '../graphql/alerts.ts';

/** Firing alerts now (0 until the first answer). */
export function useFiringAlerts(): ComputedRef<number> {
  const { client } = useClientHandle();
  const counts = useLiveValue({
    reconnects: useConnection().reconnects,
    fetch: async () => (await queryOnce(client, AlertCountsQuery, {})).alertCounts,
    subscribe: (_push, changed) => subscribeTo(client, AlertUpdatedSubscription, {}, changed),
    throttleMs: 1000,
  });
  return computed(() => counts.value.value?.firing ?? 0);
}
