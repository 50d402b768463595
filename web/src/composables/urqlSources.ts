/**
 * Small adapters from urql to the transport-free shapes useLiveList wants: a query that resolves
 * its data or rejects with the CombinedError, and a subscription that calls back with data.
 */
import type { AnyVariables, Client, TypedDocumentNode } from '@urql/core';

/** Run `query` once, bypassing the cache. Rejects with the request's error when there is no data. */
export async function queryOnce<D, V extends AnyVariables>(
  client: Client,
  query: TypedDocumentNode<D, V>,
  variables: V,
): Promise<D> {
  const result = await client.query(query, variables, { requestPolicy: 'network-only' }).toPromise();
  if (!result.data) throw result.error ?? new Error('The server sent no data.');
  return result.data;
}

/** Start `subscription`; `onData` gets each message's data. Returns the stop function. */
export function subscribeTo<D, V extends AnyVariables>(
  client: Client,
  subscription: TypedDocumentNode<D, V>,
  variables: V,
  onData: (data: D) => void,
): () => void {
  const { unsubscribe } = client.subscription(subscription, variables).subscribe((result) => {
    if (result.data) onData(result.data);
  });
  return unsubscribe;
}
