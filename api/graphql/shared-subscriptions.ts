/**
 * One execution per running subscription, however many sockets run it. Dashboards open the same
 * few subscriptions (the same document and variables, e.g. `agentUpdated` for the whole fleet), and
 * executing each message's selection once per socket made the server's cost grow with every open
 * dashboard. Sockets whose operation has the same share key (ws.ts: the caller's role, the
 * document, the operation name and the variables) attach to one execution and each get its results.
 *
 * Shared by role, never by caller: what a field resolves may depend on the role (scope-auth), and no
 * field reachable from a subscription reads who the caller is (only mutations and `viewer` do).
 *
 * A socket that does not take its messages (a stalled or very slow client) cannot hold the others
 * back: each one queues what it has not taken yet, and one that falls MAX_QUEUED_RESULTS behind is
 * dropped (`onOverflow`: ws.ts closes its connection, and graphql-ws clients reconnect and
 * subscribe again). The others keep their pace.
 */
import type { ExecutionResult } from 'graphql';

/** What graphql-ws takes from `subscribe`: a stream of results, or one result (an error). */
export type SubscriptionResult = ExecutionResult | AsyncIterable<ExecutionResult>;

/** Results a socket may leave untaken before it is dropped (at 4 messages a second: 8 s behind). */
export const MAX_QUEUED_RESULTS = 32;

export interface SharedSubscriptions<Args> {
  /**
   * The results of the subscription `key` for one socket: joins the running execution or starts
   * one with `start`, remembering `args` (what it was started with) for `argsOf`. A single result
   * (an error) is answered as is, not shared. `onOverflow` is called once if this socket falls too
   * far behind; its stream then ends.
   */
  subscribe(
    key: string,
    args: Args,
    start: () => Promise<SubscriptionResult>,
    onOverflow: () => void,
  ): Promise<SubscriptionResult>;
  /** The args of the running execution of `key` once it streams, so a socket can join it without preparing its own. */
  argsOf(key: string): Args | undefined;
  /** Executions running now (each serving one or more sockets). */
  executions(): number;
  /** Socket operations that have started receiving since the server started (never decreases). */
  started(): number;
}

interface Execution<Args = unknown> {
  args: Args;
  result: Promise<SubscriptionResult>;
  /** Whether the result is a stream (known once it resolved). */
  streams: boolean;
  listeners: Set<SocketStream>;
  pumping: boolean;
  ended: boolean;
  /** Stop the execution once no socket listens. */
  release(): void;
}

const isStream = (value: SubscriptionResult): value is AsyncIterable<ExecutionResult> =>
  typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';

/**
 * One socket's view of an execution: the results it has not taken yet, in order. Registered from
 * the start, so a socket that closes before reading (graphql-ws then calls return) leaves at once.
 */
class SocketStream implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: ExecutionResult[] = [];
  private waiting: ((next: IteratorResult<ExecutionResult>) => void) | undefined;
  private failWaiting: ((error: unknown) => void) | undefined;
  private finished = false;
  private failure: unknown;

  constructor(
    private readonly execution: Execution,
    private readonly maxQueued: number,
    private readonly onOverflow: () => void,
  ) {
    execution.listeners.add(this);
  }

  /** A result of the execution for this socket. */
  push(result: ExecutionResult): void {
    if (this.finished) return;
    if (this.waiting) return this.settle({ value: result, done: false });
    if (this.queue.length < this.maxQueued) return void this.queue.push(result);
    this.finish();
    this.onOverflow();
  }

  /** The execution ended: with an error, the socket gets it after the results it has not taken. */
  end(error?: unknown): void {
    this.failure = error;
    this.finish(false);
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const value = this.queue.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.finished) return this.failure ? Promise.reject(this.failure) : this.done();
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.queue.length = 0;
    this.failure = undefined;
    this.finish();
    return this.done();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private done(): Promise<IteratorResult<ExecutionResult>> {
    return Promise.resolve({ value: undefined, done: true });
  }

  private settle(next: IteratorResult<ExecutionResult>): void {
    const resolve = this.waiting;
    this.waiting = this.failWaiting = undefined;
    resolve?.(next);
  }

  private finish(leave = true): void {
    if (this.finished) return;
    this.finished = true;
    if (this.failure && this.failWaiting) this.failWaiting(this.failure);
    else this.settle({ value: undefined, done: true });
    this.waiting = this.failWaiting = undefined;
    if (leave) {
      this.execution.listeners.delete(this);
      if (this.execution.listeners.size === 0) this.execution.release();
    }
  }
}

/** Create the registry of shared executions of one server. Never throws. */
export function createSharedSubscriptions<Args>(maxQueued = MAX_QUEUED_RESULTS): SharedSubscriptions<Args> {
  const running = new Map<string, Execution<Args>>();
  let started = 0;

  const begin = (key: string, args: Args, start: () => Promise<SubscriptionResult>): Execution<Args> => {
    const execution: Execution<Args> = {
      args,
      result: start(),
      streams: false,
      listeners: new Set(),
      pumping: false,
      ended: false,
      release: () => {
        if (execution.ended) return;
        execution.ended = true;
        if (running.get(key) === execution) running.delete(key);
        void execution.result
          .then((result) => (result as Partial<AsyncIterator<ExecutionResult>>).return?.())
          .catch(() => undefined);
      },
    };
    running.set(key, execution);
    execution.result.then(
      (result) => void (isStream(result) ? (execution.streams = true) : execution.release()),
      () => execution.release(),
    );
    return execution;
  };

  const pump = async (execution: Execution, stream: AsyncIterable<ExecutionResult>) => {
    execution.pumping = true;
    let failure: unknown;
    try {
      for await (const result of stream) {
        for (const listener of execution.listeners) listener.push(result);
        if (execution.ended) break;
      }
    } catch (error) {
      failure = error ?? new Error('subscription failed');
    }
    execution.release();
    for (const listener of execution.listeners) listener.end(failure);
  };

  const subscribe: SharedSubscriptions<Args>['subscribe'] = async (key, args, start, onOverflow) => {
    const execution = running.get(key) ?? begin(key, args, start);
    const result = await execution.result;
    if (!isStream(result)) return result;
    // It ended while this socket waited for it to start: start another.
    if (execution.ended) return subscribe(key, args, start, onOverflow);
    const stream = new SocketStream(execution, maxQueued, onOverflow);
    if (!execution.pumping) void pump(execution, result);
    started += 1;
    return stream;
  };

  return {
    subscribe,
    argsOf: (key) => {
      const execution = running.get(key);
      return execution?.streams ? execution.args : undefined;
    },
    executions: () => running.size,
    started: () => started,
  };
}
