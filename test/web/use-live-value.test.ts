// @vitest-environment happy-dom
/**
 * useLiveValue: subscribe before fetch, pushed values replace the fetched one, "changed" messages
 * cause one throttled refetch, reconnects refetch, key changes restart.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope, nextTick, ref, type EffectScope } from 'vue';
import { useLiveValue } from '../../web/src/composables/useLiveValue.ts';

let scope: EffectScope;
beforeEach(() => {
  vi.useFakeTimers();
  scope = effectScope();
});
afterEach(() => {
  scope.stop();
  vi.useRealTimers();
});

function fakeServer(initial: number) {
  const calls: string[] = [];
  const state = { value: initial, push: (_v: number) => {}, changed: () => {} };
  let gate: (() => void) | null = null;
  const options = {
    async fetch() {
      calls.push('fetch');
      const snapshot = state.value;
      if (gate === null) return snapshot;
      await new Promise<void>((resolve) => (gate = resolve));
      return snapshot;
    },
    subscribe(push: (v: number) => void, changed: () => void) {
      calls.push('subscribe');
      state.push = push;
      state.changed = changed;
      return () => calls.push('unsubscribe');
    },
  };
  return {
    calls,
    state,
    options,
    holdNextFetch: () => (gate = () => undefined),
    release: () => gate?.(),
  };
}

const settle = async () => {
  await vi.advanceTimersByTimeAsync(0);
  await nextTick();
};

describe('useLiveValue', () => {
  it('subscribes, then fetches, and shows the value', async () => {
    const server = fakeServer(1);
    const live = scope.run(() => useLiveValue(server.options))!;
    await settle();
    expect(server.calls).toEqual(['subscribe', 'fetch']);
    expect(live.value.value).toBe(1);
    expect(live.loading.value).toBe(false);
  });

  it('replaces the value with pushed ones, even over a slower fetch that started earlier', async () => {
    const server = fakeServer(1);
    server.holdNextFetch();
    const live = scope.run(() => useLiveValue(server.options))!;
    await settle();
    server.state.push(2);
    server.release();
    await settle();
    expect(live.value.value).toBe(2);
  });

  it('refetches once per throttle window when told that something changed', async () => {
    const server = fakeServer(1);
    const live = scope.run(() => useLiveValue({ ...server.options, throttleMs: 500 }))!;
    await settle();
    server.state.value = 5;
    server.state.changed();
    server.state.changed();
    await vi.advanceTimersByTimeAsync(499);
    expect(server.calls.filter((c) => c === 'fetch')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(server.calls.filter((c) => c === 'fetch')).toHaveLength(2);
    expect(live.value.value).toBe(5);
  });

  it('refetches after a reconnect', async () => {
    const server = fakeServer(1);
    const reconnects = ref(0);
    const live = scope.run(() => useLiveValue({ ...server.options, reconnects }))!;
    await settle();
    server.state.value = 9;
    reconnects.value += 1;
    await settle();
    expect(live.value.value).toBe(9);
  });

  it('restarts when the key changes and stops with its scope', async () => {
    const server = fakeServer(1);
    const id = ref('a');
    scope.run(() => useLiveValue({ ...server.options, key: id }));
    await settle();
    id.value = 'b';
    await settle();
    scope.stop();
    expect(server.calls).toEqual(['subscribe', 'fetch', 'unsubscribe', 'subscribe', 'fetch', 'unsubscribe']);
  });
});
