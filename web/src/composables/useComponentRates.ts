/**
 * The live events per second of each component of a group (summed over its online agents' latest
 * samples), for the pipeline graph: fetched once, then replaced by each groupTelemetryUpdated.
 */
import { computed } from 'vue';
import { useClientHandle } from '@urql/vue';
import { useFragment, type FragmentType } from '../../../codegen/gql/index.ts';
import {
  ComponentRatesFragment,
  GroupComponentRatesQuery,
  GroupComponentRatesSubscription,
} from '../graphql/telemetry.ts';
import { useLiveValue } from './useLiveValue.ts';
import { queryOnce, subscribeTo } from './urqlSources.ts';
import { useConnection } from '../urql.ts';
import type { ComponentLiveRates } from '../lib/pipeline-graph.ts';

const byId = (
  list: readonly FragmentType<typeof ComponentRatesFragment>[],
): Record<string, ComponentLiveRates> =>
  Object.fromEntries(
    list.map((ref) => {
      const c = useFragment(ComponentRatesFragment, ref);
      return [c.componentId, { agents: c.agents, ...c.rates }];
    }),
  );

/** Component id → live rates of the group `group` (empty until loaded, or without telemetry). */
export function useComponentRates(group: () => { id: string; slug: string }) {
  const { client } = useClientHandle();
  const live = useLiveValue<Record<string, ComponentLiveRates>>({
    key: () => [group().id],
    reconnects: useConnection().reconnects,
    fetch: async () => {
      const data = await queryOnce(client, GroupComponentRatesQuery, { slug: group().slug });
      return data.group ? byId(data.group.componentRates) : null;
    },
    subscribe: (push) =>
      subscribeTo(client, GroupComponentRatesSubscription, { groupId: group().id }, (d) =>
        push(byId(d.groupTelemetryUpdated.componentRates)),
      ),
  });
  return computed(() => live.value.value ?? {});
}
