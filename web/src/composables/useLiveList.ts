/**
 * A list that stays true without reloads (architecture rule 6): subscribe first, then fetch;
 * patch rows by id as messages arrive; refetch (debounced) when the set of members may have
 * changed; refetch after every reconnect, because messages sent while disconnected are lost.
 * Transport-free: the caller passes `fetch` and `subscribe`, so this is tested without a server.
 */
import { markRaw, onScopeDispose, ref, shallowRef, watch, type Ref, type WatchSource } from 'vue';

export interface Identified {
  id: string;
}

/** One subscription message: the latest state of some entities. */
export interface LiveBatch<T> {
  items: T[];
  /** The server saw entities join or leave the watched set (enrolled, moved, revoked …). */
  membershipChanged: boolean;
}

/** One fetch result: the first members (or fewer), how many exist, and where the next page starts. */
export interface LivePage<T> {
  items: T[];
  total: number;
  /** Opaque position after the last item; null when there are no more members. */
  cursor: string | null;
}

export interface LiveListOptions<T extends Identified> {
  /** Read the first `size` members. Rejects on failure (shown as `error`, list kept). */
  fetch(size: number): Promise<LivePage<T>>;
  /** Read up to `count` members after `cursor` (for loadMore); without it loadMore refetches a longer list. */
  fetchMore?(cursor: string, count: number): Promise<LivePage<T>>;
  /** Start listening and return the stop function. Called before every first fetch. */
  subscribe(onBatch: (batch: LiveBatch<T>) => void): () => void;
  /** Increments after each reconnect of the live connection. */
  reconnects?: Ref<number>;
  /** Whether an entity (as patched) belongs in this list; false removes it. Default: always. */
  belongs?(item: T): boolean;
  /** A monotonic version of an entity (e.g. its update time); older states never overwrite newer ones. */
  version?(item: T): number;
  /** Changing it (filters, sort) restarts subscription and fetch. */
  key?: WatchSource<unknown>;
  /** How many members the first fetch asks for. */
  pageSize?: number;
  /** Wait before a membership refetch (ms), per thousand loaded rows. */
  debounceMs?: number;
}

export interface LiveList<T> {
  items: Readonly<Ref<readonly T[]>>;
  /** Members on the server (may exceed items.length while paging). */
  total: Readonly<Ref<number>>;
  /** True while the server has more members than `items`. */
  hasMore: Readonly<Ref<boolean>>;
  /** True until the first fetch settles, and while a key change reloads. */
  loading: Readonly<Ref<boolean>>;
  /** The last fetch error, cleared by the next successful fetch. */
  error: Readonly<Ref<Error | null>>;
  /** Fetch now (keeps the list meanwhile). */
  refresh(): Promise<void>;
  /** Ask for `count` more members; no-op when complete or already loading. */
  loadMore(count?: number): Promise<void>;
}

/**
 * Keep a live list of entities. Call inside a component setup or an effect scope: the
 * subscription and timers end with the scope. Never throws; failures land in `error`.
 */
export function useLiveList<T extends Identified>(options: LiveListOptions<T>): LiveList<T> {
  const pageSize = options.pageSize ?? 100;
  const debounceMs = options.debounceMs ?? 300;
  const belongs = options.belongs ?? (() => true);
  const items = shallowRef<T[]>([]);
  const total = ref(0);
  const hasMore = ref(false);
  const loading = ref(true);
  const error = ref<Error | null>(null);

  let index = new Map<string, number>();
  let cursor: string | null = null;
  let stop: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let busy: Promise<void> | null = null;
  let again = false;
  let buffered: LiveBatch<T>[] | null = null;
  let generation = 0;

  const newer = (next: T, current: T) =>
    !options.version || options.version(next) >= options.version(current);

  const reindex = () => {
    index = new Map(items.value.map((item, i) => [item.id, i]));
  };

  /**
   * Coalesce membership refetches: the first change starts the timer and later ones ride along,
   * so a steady stream of changes still refetches once per window. Long lists (each refetch
   * re-reads every loaded row) wait a little longer per thousand rows.
   */
  const scheduleRefetch = () => {
    if (timer !== undefined) return;
    const delay = debounceMs * Math.max(1, Math.ceil(items.value.length / 1000));
    timer = setTimeout(() => {
      timer = undefined;
      void refresh();
    }, delay);
  };

  /**
   * Patch known members into a new array (so components given the list see the change), and
   * refetch when something suggests the membership changed.
   */
  const apply = (batch: LiveBatch<T>) => {
    let membership = batch.membershipChanged;
    let next: T[] | null = null;
    for (const item of batch.items) {
      const at = index.get(item.id);
      if (at === undefined) {
        if (belongs(item) && !hasMore.value) membership = true;
        continue;
      }
      next ??= items.value.slice();
      const current = next[at];
      if (!newer(item, current)) continue;
      const patched = markRaw({ ...current, ...item });
      if (belongs(patched)) {
        next[at] = patched;
        continue;
      }
      next.splice(at, 1);
      total.value = Math.max(0, total.value - 1);
      items.value = next;
      reindex();
      membership = true;
    }
    if (next) items.value = next;
    if (membership) scheduleRefetch();
  };

  const onBatch = (batch: LiveBatch<T>) => {
    if (buffered) buffered.push(batch);
    else apply(batch);
  };

  /** Run `read` with messages held back, then apply what arrived meanwhile on top of its result. */
  const guarded = async (read: () => Promise<LivePage<T>>, append: boolean) => {
    const mine = generation;
    buffered = [];
    try {
      const page = await read();
      if (mine !== generation) return;
      // Rows are replaced, never mutated: markRaw spares Vue (and deep watchers in tables) walking them.
      const fresh = page.items.filter(belongs).map((item) => markRaw(item));
      items.value = append ? [...items.value, ...fresh.filter((item) => !index.has(item.id))] : fresh;
      total.value = page.total;
      cursor = page.cursor;
      hasMore.value = page.cursor !== null;
      error.value = null;
      reindex();
    } catch (caught) {
      if (mine === generation) error.value = caught instanceof Error ? caught : new Error(String(caught));
    } finally {
      if (mine === generation) {
        const pending = buffered ?? [];
        buffered = null;
        loading.value = false;
        for (const batch of pending) apply(batch);
      }
    }
  };

  /** One read at a time: a refresh asked for during a read runs once more afterwards. */
  const exclusive = async (work: () => Promise<void>) => {
    const mine = generation;
    const run = (async () => {
      if (busy) await busy.catch(() => undefined);
      if (mine === generation) await work();
    })();
    busy = run;
    try {
      await run;
    } finally {
      if (busy === run) busy = null;
    }
  };

  /** Fetch as many members as are loaded now (at least a page), keeping the list meanwhile. */
  function refresh(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    if (busy && again) return busy;
    again = true;
    return exclusive(async () => {
      again = false;
      await guarded(() => options.fetch(Math.max(items.value.length, pageSize)), false);
    });
  }

  async function loadMore(count = pageSize): Promise<void> {
    if (!hasMore.value || busy || cursor === null) return;
    const after = cursor;
    const more = options.fetchMore;
    await exclusive(() =>
      more
        ? guarded(() => more(after, count), true)
        : guarded(() => options.fetch(items.value.length + count), false),
    );
  }

  const start = () => {
    generation += 1;
    stop?.();
    clearTimeout(timer);
    timer = undefined;
    busy = null;
    again = false;
    buffered = null;
    loading.value = true;
    stop = options.subscribe(onBatch);
    void refresh();
  };

  if (options.key) watch(options.key, start, { deep: true });
  if (options.reconnects) watch(options.reconnects, () => void refresh());
  start();

  onScopeDispose(() => {
    generation += 1;
    clearTimeout(timer);
    stop?.();
  });

  return { items, total, hasMore, loading, error, refresh, loadMore };
}
