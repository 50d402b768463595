// @vitest-environment happy-dom
/**
 * useLiveList: subscribe before fetch, patch by id, debounced refetch when membership changes,
 * refetch after a reconnect, older states never overwrite newer ones, paging with a cursor.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope, nextTick, ref, type EffectScope } from 'vue';
import {
  useLiveList,
  type LiveBatch,
  type LiveListOptions,
  type LivePage,
} from '../../web/src/composables/useLiveList.ts';

interface Row {
  id: string;
  name: string;
  version: number;
  group?: string;
}

/** A fake server: a list, a subscription we can push to, a log of calls in order. */
function fakeSource(rows: Row[]) {
  const calls: string[] = [];
  let listener: ((batch: LiveBatch<Row>) => void) | null = null;
  let gate: Promise<void> | null = null;
  const source = {
    rows,
    calls,
    /** Hold the next fetches until the returned function is called. */
    hold() {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = null;
        release();
      };
    },
    push(items: Row[], membershipChanged = false) {
      listener?.({ items, membershipChanged });
    },
    get subscribed() {
      return listener !== null;
    },
    options: {
      async fetch(size: number): Promise<LivePage<Row>> {
        calls.push(`fetch:${size}`);
        const snapshot = source.rows.slice(0, size).map((r) => ({ ...r }));
        if (gate) await gate;
        return {
          items: snapshot,
          total: source.rows.length,
          cursor: size < source.rows.length ? String(size) : null,
        };
      },
      async fetchMore(cursor: string, count: number): Promise<LivePage<Row>> {
        calls.push(`more:${cursor}:${count}`);
        const from = Number(cursor);
        const items = source.rows.slice(from, from + count).map((r) => ({ ...r }));
        const end = from + count;
        return { items, total: source.rows.length, cursor: end < source.rows.length ? String(end) : null };
      },
      subscribe(onBatch: (batch: LiveBatch<Row>) => void) {
        calls.push('subscribe');
        listener = onBatch;
        return () => {
          calls.push('unsubscribe');
          listener = null;
        };
      },
    } satisfies LiveListOptions<Row>,
  };
  return source;
}

const rowsOf = (n: number): Row[] =>
  Array.from({ length: n }, (_, i) => ({ id: `a${i}`, name: `agent ${i}`, version: 1 }));

let scope: EffectScope;

beforeEach(() => {
  vi.useFakeTimers();
  scope = effectScope();
});

afterEach(() => {
  scope.stop();
  vi.useRealTimers();
});

async function settle() {
  await vi.advanceTimersByTimeAsync(0);
  await nextTick();
}

describe('useLiveList', () => {
  it('subscribes before it fetches, and loads the first page', async () => {
    const source = fakeSource(rowsOf(3));
    const list = scope.run(() => useLiveList(source.options))!;
    expect(list.loading.value).toBe(true);
    await settle();
    expect(source.calls).toEqual(['subscribe', 'fetch:100']);
    expect(list.items.value.map((r) => r.id)).toEqual(['a0', 'a1', 'a2']);
    expect(list.total.value).toBe(3);
    expect(list.hasMore.value).toBe(false);
    expect(list.loading.value).toBe(false);
  });

  it('patches a row by id in place, keeping fields the message does not carry', async () => {
    const source = fakeSource([{ id: 'a0', name: 'web-1', version: 1, group: 'edge' }]);
    const list = scope.run(() => useLiveList(source.options))!;
    await settle();
    const before = list.items.value;
    source.push([{ id: 'a0', name: 'web-1 renamed', version: 2 }]);
    expect(list.items.value).toEqual([{ id: 'a0', name: 'web-1 renamed', version: 2, group: 'edge' }]);
    expect(list.items.value, 'a new array, so components that get the list as a prop re-render').not.toBe(
      before,
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(source.calls).toEqual(['subscribe', 'fetch:100']);
  });

  it('applies messages that arrive during the first fetch on top of its result', async () => {
    const source = fakeSource(rowsOf(2));
    const release = source.hold();
    const list = scope.run(() => useLiveList({ ...source.options, version: (r) => r.version }))!;
    await settle();
    source.push([{ id: 'a1', name: 'newer', version: 5 }]);
    expect(list.items.value).toEqual([]);
    release();
    await settle();
    expect(list.items.value.find((r) => r.id === 'a1')?.name).toBe('newer');
  });

  it('never lets an older state overwrite a newer one', async () => {
    const source = fakeSource([{ id: 'a0', name: 'v3', version: 3 }]);
    const list = scope.run(() => useLiveList({ ...source.options, version: (r) => r.version }))!;
    await settle();
    source.push([{ id: 'a0', name: 'v2', version: 2 }]);
    expect(list.items.value[0].name).toBe('v3');
  });

  it('refetches once, debounced, when the server reports a membership change', async () => {
    const source = fakeSource(rowsOf(2));
    const list = scope.run(() => useLiveList({ ...source.options, debounceMs: 300 }))!;
    await settle();
    source.rows.push({ id: 'new', name: 'new agent', version: 1 });
    source.push([], true);
    source.push([], true);
    await vi.advanceTimersByTimeAsync(299);
    expect(source.calls.filter((c) => c.startsWith('fetch'))).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(source.calls.filter((c) => c.startsWith('fetch'))).toHaveLength(2);
    expect(list.items.value.map((r) => r.id)).toContain('new');
  });

  it('keeps refetching under a steady stream of membership changes instead of waiting for quiet', async () => {
    const source = fakeSource(rowsOf(2));
    scope.run(() => useLiveList({ ...source.options, debounceMs: 300 }));
    await settle();
    for (let i = 0; i < 10; i++) {
      source.push([], true);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(source.calls.filter((c) => c.startsWith('fetch')).length).toBeGreaterThanOrEqual(3);
  });

  it('treats an unknown entity as a new member when the whole list is loaded', async () => {
    const source = fakeSource(rowsOf(1));
    scope.run(() => useLiveList({ ...source.options, debounceMs: 50 }));
    await settle();
    source.push([{ id: 'stranger', name: 'x', version: 1 }]);
    await vi.advanceTimersByTimeAsync(60);
    expect(source.calls).toEqual(['subscribe', 'fetch:100', 'fetch:100']);
  });

  it('ignores unknown entities that do not belong, and removes members that stop belonging', async () => {
    const source = fakeSource([
      { id: 'a0', name: 'x', version: 1, group: 'edge' },
      { id: 'a1', name: 'y', version: 1, group: 'edge' },
    ]);
    const list = scope.run(() =>
      useLiveList({ ...source.options, belongs: (r) => r.group === 'edge', debounceMs: 50 }),
    )!;
    await settle();
    source.push([{ id: 'other', name: 'z', version: 1, group: 'core' }]);
    await vi.advanceTimersByTimeAsync(60);
    expect(source.calls.filter((c) => c.startsWith('fetch'))).toHaveLength(1);
    source.rows.splice(0, 1);
    source.push([{ id: 'a0', name: 'x', version: 2, group: 'core' }]);
    expect(list.items.value.map((r) => r.id)).toEqual(['a1']);
    expect(list.total.value).toBe(1);
    await vi.advanceTimersByTimeAsync(60);
    expect(source.calls.filter((c) => c.startsWith('fetch'))).toHaveLength(2);
  });

  it('refetches after every reconnect, catching up on what it missed', async () => {
    const source = fakeSource(rowsOf(1));
    const reconnects = ref(0);
    const list = scope.run(() => useLiveList({ ...source.options, reconnects }))!;
    await settle();
    source.rows[0] = { id: 'a0', name: 'changed while offline', version: 2 };
    reconnects.value += 1;
    await settle();
    expect(source.calls).toEqual(['subscribe', 'fetch:100', 'fetch:100']);
    expect(list.items.value[0].name).toBe('changed while offline');
  });

  it('keeps the list and reports the error when a fetch fails, then recovers', async () => {
    const source = fakeSource(rowsOf(2));
    let fail = false;
    const options = {
      ...source.options,
      fetch: (size: number) =>
        fail ? Promise.reject(new Error('network down')) : source.options.fetch(size),
    };
    const list = scope.run(() => useLiveList(options))!;
    await settle();
    fail = true;
    await list.refresh();
    expect(list.error.value?.message).toBe('network down');
    expect(list.items.value).toHaveLength(2);
    fail = false;
    await list.refresh();
    expect(list.error.value).toBeNull();
  });

  it('loads more with the cursor and appends without duplicates', async () => {
    const source = fakeSource(rowsOf(250));
    const list = scope.run(() => useLiveList({ ...source.options, pageSize: 100 }))!;
    await settle();
    expect(list.hasMore.value).toBe(true);
    await list.loadMore();
    expect(source.calls.at(-1)).toBe('more:100:100');
    expect(list.items.value).toHaveLength(200);
    await list.loadMore();
    expect(list.items.value).toHaveLength(250);
    expect(new Set(list.items.value.map((r) => r.id)).size).toBe(250);
    expect(list.hasMore.value).toBe(false);
  });

  it('ignores unknown entities while only part of the list is loaded', async () => {
    const source = fakeSource(rowsOf(150));
    scope.run(() => useLiveList({ ...source.options, pageSize: 100, debounceMs: 50 }));
    await settle();
    source.push([{ id: 'a149', name: 'beyond the page', version: 2 }]);
    await vi.advanceTimersByTimeAsync(60);
    expect(source.calls.filter((c) => c.startsWith('fetch'))).toHaveLength(1);
  });

  it('restarts subscription and fetch when the key changes, dropping the old answer', async () => {
    const source = fakeSource(rowsOf(3));
    const filter = ref('a');
    const release = source.hold();
    const list = scope.run(() => useLiveList({ ...source.options, key: filter }))!;
    await settle();
    source.rows.splice(1);
    filter.value = 'b';
    await nextTick();
    release();
    await settle();
    expect(source.calls).toEqual(['subscribe', 'fetch:100', 'unsubscribe', 'subscribe', 'fetch:100']);
    expect(list.items.value.map((r) => r.id)).toEqual(['a0']);
  });

  it('stops listening and drops pending refetches when its scope ends', async () => {
    const source = fakeSource(rowsOf(1));
    scope.run(() => useLiveList({ ...source.options, debounceMs: 50 }));
    await settle();
    source.push([], true);
    scope.stop();
    await vi.advanceTimersByTimeAsync(100);
    expect(source.subscribed).toBe(false);
    expect(source.calls).toEqual(['subscribe', 'fetch:100', 'unsubscribe']);
  });
});
