/**
 * Held config polls (`?wait=S`). A held request costs one small record, no timer and no closure of
 * its own: one shared tick (every TICK_MS, only while polls are held) answers the polls whose hold
 * ended, and one wake handler (given at construction) answers the rest. A poll is woken when its
 * group's baseline moves past `since` (unpinned agents; any replica's publish reaches us through the
 * bus and the agent directory), when its agent's pin is set, changed or removed (configPinsChanged,
 * re-read by the directory), when its agent is moved or revoked, when its hold ends, or when the server
 * stops (then 204 at once); a woken poll whose agent still has its desired version is held again
 * until its original hold ends (holdAgain). The hold is S × [1 − HOLD_JITTER, 1): the polls of a fleet that all
 * came back after one change do not all expire, and come back, in the same instant.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentDirectory } from '../fleet/agent-directory.ts';

export type WakeReason = 'changed' | 'timeout' | 'shutdown';

/** Share of the asked wait a hold may end early by: 0.1 → held 0.9–1.0 × S. */
export const HOLD_JITTER = 0.1;
/** Resolution of the shared expiry tick. */
const TICK_MS = 100;

/** One held poll: what its wake-up needs to answer it. */
export interface HeldPoll {
  readonly agentId: string;
  readonly groupId: string;
  readonly since: number;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The tick its hold ends at. */
  readonly expires: number;
}

export class LongPolls {
  private readonly byGroup = new Map<string, Set<HeldPoll>>();
  private readonly byAgent = new Map<string, HeldPoll>();
  /** Held polls by the tick their hold ends at. */
  private readonly byExpiry = new Map<number, Set<HeldPoll>>();
  private readonly unwatch: () => void;
  private ticker: NodeJS.Timeout | undefined;
  /** Every tick up to this one has been answered. */
  private doneTick: number;
  private closing = false;

  constructor(
    private readonly directory: AgentDirectory,
    private readonly resume: (held: HeldPoll, reason: WakeReason) => void,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {
    this.doneTick = this.tickOf(this.now());
    this.unwatch = directory.watch({
      versionChanged: (groupId, version) => {
        for (const held of [...(this.byGroup.get(groupId) ?? [])])
          if (version > held.since && this.directory.pinnedVersion(held.agentId, groupId) === undefined)
            this.wake(held, 'changed');
      },
      desiredChanged: (_groupId, agentIds) => {
        for (const agentId of agentIds) {
          const held = this.byAgent.get(agentId);
          if (held) this.wake(held, 'changed');
        }
      },
      agentChanged: (agentId) => {
        const held = this.byAgent.get(agentId);
        if (held) this.wake(held, 'changed');
      },
    });
  }

  /** Number of requests held right now. */
  get size(): number {
    return this.byAgent.size;
  }

  /** False once the server is stopping: then polls are answered at once instead of held. */
  get accepting(): boolean {
    return !this.closing;
  }

  /**
   * Hold the poll for `seconds` × [1 − HOLD_JITTER, 1); the wake handler answers it exactly once. A
   * second held poll of the same agent replaces the first, which is answered as a timeout.
   */
  hold(
    agentId: string,
    groupId: string,
    since: number,
    seconds: number,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    const previous = this.byAgent.get(agentId);
    if (previous) this.wake(previous, 'timeout');
    if (this.ticker === undefined) this.doneTick = this.tickOf(this.now());
    const holdMs = seconds * 1000 * (1 - HOLD_JITTER * this.random());
    // Rounded up: a hold never ends early, at most one tick late.
    const expires = Math.max(this.doneTick + 1, Math.ceil((this.now() + holdMs) / TICK_MS));
    const held: HeldPoll = { agentId, groupId, since, req, res, expires };
    this.byAgent.set(agentId, held);
    addTo(this.byGroup, groupId, held);
    addTo(this.byExpiry, expires, held);
    res.once('close', () => this.remove(held));
    this.ticker ??= setInterval(() => this.expireDue(), TICK_MS).unref();
  }

  /**
   * Hold a woken poll again until its original hold ends (a change that did not move its agent's
   * desired version, e.g. an acknowledged config reset). False when it cannot be held: the server is
   * stopping, its hold has ended, or a newer poll of the agent is held; then the caller answers it.
   */
  holdAgain(held: HeldPoll): boolean {
    if (this.closing || held.expires <= this.doneTick || this.byAgent.has(held.agentId)) return false;
    if (held.res.destroyed || held.res.writableEnded) return false;
    this.byAgent.set(held.agentId, held);
    addTo(this.byGroup, held.groupId, held);
    addTo(this.byExpiry, held.expires, held);
    this.ticker ??= setInterval(() => this.expireDue(), TICK_MS).unref();
    return true;
  }

  /** Answer every held poll (204) and refuse to hold new ones; call when the server stops. */
  closeAll(): void {
    this.closing = true;
    this.unwatch();
    for (const held of [...this.byAgent.values()]) this.wake(held, 'shutdown');
    this.stopTicker();
  }

  /** Answers the polls whose hold ended; the shared tick calls this every TICK_MS. */
  expireDue(): void {
    const current = this.tickOf(this.now());
    for (; this.doneTick < current;) {
      const due = this.byExpiry.get(++this.doneTick);
      if (due) for (const held of [...due]) this.wake(held, 'timeout');
    }
    if (this.byAgent.size === 0) this.stopTicker();
  }

  private stopTicker(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private tickOf(ms: number): number {
    return Math.floor(ms / TICK_MS);
  }

  private wake(held: HeldPoll, reason: WakeReason): void {
    if (!this.remove(held)) return;
    this.resume(held, reason);
  }

  private remove(held: HeldPoll): boolean {
    if (this.byAgent.get(held.agentId) !== held) return false;
    this.byAgent.delete(held.agentId);
    removeFrom(this.byGroup, held.groupId, held);
    removeFrom(this.byExpiry, held.expires, held);
    return true;
  }
}

function addTo<K>(map: Map<K, Set<HeldPoll>>, key: K, held: HeldPoll): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(held);
}

function removeFrom<K>(map: Map<K, Set<HeldPoll>>, key: K, held: HeldPoll): void {
  const set = map.get(key);
  set?.delete(held);
  if (set?.size === 0) map.delete(key);
}
