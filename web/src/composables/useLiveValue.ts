/**
 * One live value (an agent, a group, the fleet summary, a bulk request's progress) with the same
 * rules as useLiveList: subscribe first, then fetch; a message either carries the new value or
 * only says "changed" (then a throttled refetch follows); every reconnect refetches. A value that
 * arrives while a fetch is in flight wins over that fetch's (possibly older) answer.
 */
import { onScopeDispose, ref, shallowRef, watch, type Ref, type WatchSource } from 'vue';

export interface LiveValueOptions<T> {
  /** Read the current value (null: it does not exist). Rejects on failure. */
  fetch(): Promise<T | null>;
  /** Start listening: call `push` with a new value, or `changed` when only a refetch can tell. */
  subscribe(push: (value: T) => void, changed: () => void): () => void;
  reconnects?: Ref<number>;
  /** Changing it restarts subscription and fetch (e.g. the route's id). */
  key?: WatchSource<unknown>;
  /** Least time between two refetches caused by `changed` (ms). */
  throttleMs?: number;
}

export interface LiveValue<T> {
  value: Readonly<Ref<T | null>>;
  loading: Readonly<Ref<boolean>>;
  error: Readonly<Ref<Error | null>>;
  /** Fetch now; resolves when done. Never rejects. */
  refresh(): Promise<void>;
}

/** Keep a value live. Call in setup or an effect scope; everything stops with the scope. */
export function useLiveValue<T>(options: LiveValueOptions<T>): LiveValue<T> {
  const throttleMs = options.throttleMs ?? 300;
  const value = shallowRef<T | null>(null);
  const loading = ref(true);
  const error = ref<Error | null>(null);
  let generation = 0;
  let pushedDuringFetch = false;
  let fetching = false;
  let stop: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastRefetch = Number.NEGATIVE_INFINITY;

  async function refresh(): Promise<void> {
    const mine = generation;
    clearTimeout(timer);
    timer = undefined;
    lastRefetch = Date.now();
    fetching = true;
    pushedDuringFetch = false;
    try {
      const next = await options.fetch();
      if (mine !== generation) return;
      if (!pushedDuringFetch) value.value = next;
      error.value = null;
    } catch (caught) {
      if (mine === generation) error.value = caught instanceof Error ? caught : new Error(String(caught));
    } finally {
      if (mine === generation) {
        fetching = false;
        loading.value = false;
      }
    }
  }

  const push = (next: T) => {
    if (fetching) pushedDuringFetch = true;
    value.value = next;
  };

  const changed = () => {
    if (timer) return;
    timer = setTimeout(() => void refresh(), Math.max(0, lastRefetch + throttleMs - Date.now()));
  };

  const start = () => {
    generation += 1;
    clearTimeout(timer);
    timer = undefined;
    stop?.();
    loading.value = true;
    value.value = null;
    stop = options.subscribe(push, changed);
    void refresh();
  };

  if (options.key) watch(options.key, start);
  if (options.reconnects) watch(options.reconnects, () => void refresh());
  start();

  onScopeDispose(() => {
    generation += 1;
    clearTimeout(timer);
    stop?.();
  });

  return { value, loading, error, refresh };
}
