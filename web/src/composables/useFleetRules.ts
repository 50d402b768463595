/**
 * The server's thresholds and limits (`fleetRules`): the offline threshold, the largest page and
 * the bulk cap. Read once per urql client and shared; the dashboard keeps no copy of any of them.
 */
import { computed, ref, type Ref } from 'vue';
import { useClientHandle } from '@urql/vue';
import type { Client } from '@urql/core';
import type { FleetRulesQuery as FleetRulesData } from '../../../codegen/gql/graphql.ts';
import { FleetRulesQuery } from '../graphql/fleet.ts';
import { queryOnce } from './urqlSources.ts';

export type FleetRules = FleetRulesData['fleetRules'];

const loaded = new WeakMap<Client, Promise<FleetRules>>();

/**
 * The rules of the server behind `client`, fetched on first use and cached for the client's
 * lifetime. Rejects with the request's error (and forgets it, so the next call retries).
 */
export function loadFleetRules(client: Client): Promise<FleetRules> {
  let rules = loaded.get(client);
  if (!rules) {
    rules = queryOnce(client, FleetRulesQuery, {}).then((data) => data.fleetRules);
    rules.catch(() => loaded.delete(client));
    loaded.set(client, rules);
  }
  return rules;
}

/** The rules as a ref: null until they arrived (or when they could not be read). Call in setup. */
export function useFleetRules(): Readonly<Ref<FleetRules | null>> {
  const { client } = useClientHandle();
  const rules = ref<FleetRules | null>(null);
  loadFleetRules(client).then(
    (value) => (rules.value = value),
    () => undefined,
  );
  return rules;
}

/**
 * useQuery options for a document that reads one whole page (`$first`): `variables` with
 * `first: maxPageSize`, and `pause` until the rules arrived (or while `paused()` says so).
 */
export function useFullPage(paused: () => boolean = () => false) {
  const rules = useFleetRules();
  return {
    variables: computed(() => ({ first: rules.value?.maxPageSize ?? 0 })),
    pause: computed(() => !rules.value || paused()),
  };
}
