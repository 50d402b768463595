/**
 * Coalesced subscription streams. A subscription follows bus topics and collects the ids of the
 * entities that changed; it sends at most one message per interval, naming every id collected
 * since the last one (up to maxBatch; the rest go next). The message's entities are read from the
 * database when it is sent, so each carries the latest state: a client watching 10,000
 * heartbeating agents gets a few messages a second, never a backlog of stale ones. The next
 * message is only prepared once the client took the previous one, so a slow client cannot queue
 * up more than one. Works across replicas because every replica's bus sees every event.
 *
 * Fan-out independent of the number of dashboards: every stream sends on a shared grid of
 * ALIGN_MS, so streams that saw the same events send the same batch at the same instant, and
 * sharedRead lets their resolvers make one database read for it instead of one per stream.
 */
import { Repeater } from 'graphql-yoga';
import type { EventBus, FleetEvents, Topic } from '../fleet/events.ts';

/** What one message reports: the ids to re-read, and whether the watched set gained or lost members. */
export interface LiveBatch {
  ids: string[];
  membershipChanged: boolean;
  /** When the batch was cut (a point of the shared grid): streams cut at the same `at` share reads. */
  at: number;
}

/** A watched id an event concerns, and whether it changes the watched set's membership. */
export interface LiveHit {
  id: string;
  membership: boolean;
}

/** What an event means for one subscription: one hit, several, none (null), or those found later. */
export type LivePick = LiveHit | LiveHit[] | null | Promise<LiveHit[] | null>;

/** One topic a subscription follows and how its events map to watched ids. */
export interface LiveSource<T extends Topic = Topic> {
  topic: T;
  /**
   * The ids an event concerns for this subscription. A promise (e.g. "every agent of the group")
   * must be shared by every subscription that gets the same event object, so one event costs one
   * read per replica; a rejected one is ignored.
   */
  pick(event: FleetEvents[T]): LivePick;
}

/**
 * A feed of hits from this process rather than the bus (e.g. the agent directory's diff of config
 * pins): given the function that takes hits, it starts and returns the function that stops it.
 */
export type LiveFeed = (add: (hits: LiveHit[]) => void) => () => void;

/** Build a LiveSource with the event type of its topic checked. */
export function source<T extends Topic>(topic: T, pick: LiveSource<T>['pick']): LiveSource {
  return { topic, pick } as unknown as LiveSource;
}

/** Streams send on multiples of this many ms, so streams fed by the same events send together. */
const ALIGN_MS = 10;
const reads = new Map<string, Promise<unknown>>();

/**
 * One read for every stream that needs the same thing for the same batch cut: `key` must name the
 * batch's `at` and everything the read depends on (ids, selection). The promise is shared while it
 * runs and for one more grid step, never across batches cut at different times.
 */
export function sharedRead<T>(key: string, read: () => Promise<T>): Promise<T> {
  const known = reads.get(key);
  if (known) return known as Promise<T>;
  const pending = read();
  reads.set(key, pending);
  const forget = () => void setTimeout(() => reads.delete(key), ALIGN_MS).unref();
  pending.then(forget, forget);
  return pending;
}

export interface CoalesceOptions {
  intervalMs: number;
  maxBatch: number;
}

/**
 * A stream of coalesced batches for `sources` (and `feeds`). It subscribes to the bus when the
 * client starts iterating and unsubscribes when the client stops (or the connection closes).
 * Never throws.
 */
export function liveBatches(
  bus: EventBus,
  sources: LiveSource[],
  options: CoalesceOptions,
  feeds: LiveFeed[] = [],
): AsyncIterableIterator<LiveBatch> {
  return new Repeater<LiveBatch>(async (push, stop) => {
    const pending = new Set<string>();
    let membership = false;
    let timer: NodeJS.Timeout | undefined;
    let sending = false;
    let lastSent = Number.NEGATIVE_INFINITY;
    let stopped = false;

    const schedule = () => {
      if (stopped || timer || sending || (pending.size === 0 && !membership)) return;
      const now = Date.now();
      const at = Math.ceil(Math.max(now, lastSent + options.intervalMs) / ALIGN_MS) * ALIGN_MS;
      timer = setTimeout(() => void flush(at), at - now);
    };
    const flush = async (at: number) => {
      timer = undefined;
      const ids: string[] = [];
      for (const id of pending) {
        if (ids.length >= options.maxBatch) break;
        ids.push(id);
        pending.delete(id);
      }
      const batch: LiveBatch = { ids, membershipChanged: membership, at };
      membership = false;
      sending = true;
      lastSent = at;
      try {
        await push(batch);
      } finally {
        sending = false;
      }
      schedule();
    };

    const add = (hit: LiveHit | LiveHit[] | null) => {
      if (stopped || !hit) return;
      for (const h of Array.isArray(hit) ? hit : [hit]) {
        pending.add(h.id);
        membership ||= h.membership;
      }
      schedule();
    };
    const offs = sources.map((s) =>
      bus.subscribe(s.topic, (event) => {
        const hit = s.pick(event);
        if (hit instanceof Promise) hit.then(add, () => undefined);
        else add(hit);
      }),
    );
    for (const feed of feeds) offs.push(feed(add));
    await stop;
    stopped = true;
    clearTimeout(timer);
    for (const off of offs) off();
  });
}
