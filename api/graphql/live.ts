/**
 * Coalesced subscription streams. A subscription follows bus topics and collects the ids of the
 * entities that changed; it sends at most one message per interval, naming every id collected
 * since the last one (up to maxBatch; the rest go next). The message's entities are read from the
 * database when it is sent, so each carries the latest state: a client watching 10,000
 * heartbeating agents gets a few messages a second, never a backlog of stale ones. The next
 * message is only prepared once the client took the previous one, so a slow client cannot queue
 * up more than one. Works across replicas because every replica's bus sees every event.
 */
import { Repeater } from 'graphql-yoga';
import type { EventBus, FleetEvents, Topic } from '../fleet/events.ts';

/** What one message reports: the ids to re-read, and whether the watched set gained or lost members. */
export interface LiveBatch {
  ids: string[];
  membershipChanged: boolean;
}

/** One topic a subscription follows and how its events map to watched ids. */
export interface LiveSource<T extends Topic = Topic> {
  topic: T;
  /** The id an event concerns for this subscription, or null when it is not watched. */
  pick(event: FleetEvents[T]): { id: string; membership: boolean } | null;
}

/** Build a LiveSource with the event type of its topic checked. */
export function source<T extends Topic>(topic: T, pick: LiveSource<T>['pick']): LiveSource {
  return { topic, pick } as unknown as LiveSource;
}

export interface CoalesceOptions {
  intervalMs: number;
  maxBatch: number;
}

/**
 * A stream of coalesced batches for `sources`. It subscribes to the bus when the client starts
 * iterating and unsubscribes when the client stops (or the connection closes). Never throws.
 */
export function liveBatches(
  bus: EventBus,
  sources: LiveSource[],
  options: CoalesceOptions,
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
      timer = setTimeout(() => void flush(), Math.max(0, lastSent + options.intervalMs - Date.now()));
    };
    const flush = async () => {
      timer = undefined;
      const ids: string[] = [];
      for (const id of pending) {
        if (ids.length >= options.maxBatch) break;
        ids.push(id);
        pending.delete(id);
      }
      const batch = { ids, membershipChanged: membership };
      membership = false;
      sending = true;
      lastSent = Date.now();
      try {
        await push(batch);
      } finally {
        sending = false;
      }
      schedule();
    };

    const offs = sources.map((s) =>
      bus.subscribe(s.topic, (event) => {
        const hit = s.pick(event);
        if (!hit) return;
        pending.add(hit.id);
        membership ||= hit.membership;
        schedule();
      }),
    );
    await stop;
    stopped = true;
    clearTimeout(timer);
    for (const off of offs) off();
  });
}
