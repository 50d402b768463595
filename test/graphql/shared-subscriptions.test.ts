/**
 * Shared subscription executions (api/graphql/shared-subscriptions.ts) over real async streams:
 * one execution per key whatever the number of sockets, each socket gets every result from when it
 * joined, a socket that stops taking results is dropped without holding the others back, and the
 * execution ends (its source returned) when the last socket leaves.
 */
import type { ExecutionResult } from 'graphql';
import { Repeater } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import {
  createSharedSubscriptions,
  type SubscriptionResult,
} from '../../api/graphql/shared-subscriptions.ts';
import { waitFor } from '../helpers/factories.ts';

/** A source the test drives: `emit` sends a result; `returned` tells whether it was stopped. */
function source() {
  let emit: (n: number) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  let returned = false;
  const stream = new Repeater<ExecutionResult>(async (push, stop) => {
    emit = (n) => void push({ data: { n } });
    fail = (error) => stop(error);
    await stop;
    returned = true;
  });
  return {
    start: async (): Promise<SubscriptionResult> => stream,
    emit: (n: number) => emit(n),
    fail: (error: Error) => fail(error),
    returned: () => returned,
  };
}

const asStream = (result: SubscriptionResult) => result as AsyncIterableIterator<ExecutionResult>;
const value = async (stream: AsyncIterableIterator<ExecutionResult>) =>
  ((await stream.next()).value as ExecutionResult).data?.n;
const noOverflow = () => {
  throw new Error('no socket should overflow here');
};

describe('shared subscription executions', () => {
  it('runs one execution per key and gives every socket each result', async () => {
    const shared = createSharedSubscriptions<string>();
    const a = source();
    const b = source();
    let starts = 0;
    const start = () => (starts++, a.start());
    expect(shared.argsOf('k')).toBeUndefined();
    const first = asStream(await shared.subscribe('k', 'args', start, noOverflow));
    // A socket joining a running execution takes what it was started with.
    expect(shared.argsOf('k')).toBe('args');
    const second = asStream(await shared.subscribe('k', 'args', start, noOverflow));
    const other = asStream(await shared.subscribe('other', 'args', b.start, noOverflow));
    expect(starts).toBe(1);
    expect(shared.executions()).toBe(2);
    expect(shared.started()).toBe(3);
    a.emit(1);
    b.emit(9);
    expect([await value(first), await value(second), await value(other)]).toEqual([1, 1, 9]);
    a.emit(2);
    expect([await value(first), await value(second)]).toEqual([2, 2]);
    await first.return?.();
    expect(a.returned()).toBe(false);
    await second.return?.();
    await waitFor(() => a.returned());
    expect(shared.executions()).toBe(1);
    expect(shared.argsOf('k')).toBeUndefined();
    await other.return?.();
    await waitFor(() => b.returned());
    expect(shared.executions()).toBe(0);
  });

  it('answers a single result (an error) as is, to every socket, and starts again afterwards', async () => {
    const shared = createSharedSubscriptions<string>();
    const refused: ExecutionResult = { errors: [] };
    let starts = 0;
    const start = async (): Promise<SubscriptionResult> => (starts++, refused);
    expect(await shared.subscribe('k', 'args', start, noOverflow)).toBe(refused);
    expect(await shared.subscribe('k', 'args', start, noOverflow)).toBe(refused);
    expect(starts).toBe(2);
    expect(shared.executions()).toBe(0);
    expect(shared.argsOf('k')).toBeUndefined();
  });

  it('drops a socket that stops taking results, and the others keep receiving', async () => {
    const shared = createSharedSubscriptions<string>(3);
    const a = source();
    let dropped = 0;
    const reader = asStream(await shared.subscribe('k', 'args', a.start, noOverflow));
    const stalled = asStream(await shared.subscribe('k', 'args', a.start, () => dropped++));
    for (let n = 1; n <= 3; n++) {
      a.emit(n);
      expect(await value(reader)).toBe(n);
    }
    expect(dropped).toBe(0);
    a.emit(4);
    expect(await value(reader)).toBe(4);
    expect(dropped).toBe(1);
    // What it had queued before it fell behind is still there; then its stream ends.
    expect([await value(stalled), await value(stalled), await value(stalled)]).toEqual([1, 2, 3]);
    expect((await stalled.next()).done).toBe(true);
    a.emit(5);
    expect(await value(reader)).toBe(5);
    expect(dropped).toBe(1);
    await reader.return?.();
    await waitFor(() => a.returned());
  });

  it('leaves at once when a socket closes before reading', async () => {
    const shared = createSharedSubscriptions<string>();
    const a = source();
    const stream = asStream(await shared.subscribe('k', 'args', a.start, noOverflow));
    await stream.return?.();
    await waitFor(() => a.returned());
    expect(shared.executions()).toBe(0);
  });

  it('ends every socket with the error when the execution fails, after the results it queued', async () => {
    const shared = createSharedSubscriptions<string>();
    const a = source();
    const first = asStream(await shared.subscribe('k', 'args', a.start, noOverflow));
    const second = asStream(await shared.subscribe('k', 'args', a.start, noOverflow));
    a.emit(1);
    expect(await value(first)).toBe(1);
    a.fail(new Error('bus gone'));
    await expect(first.next()).rejects.toThrow('bus gone');
    expect(await value(second)).toBe(1);
    await expect(second.next()).rejects.toThrow('bus gone');
    expect(shared.executions()).toBe(0);
  });
});
