/**
 * Held config polls (`?wait=S`). A held request costs one small object and one timer; it is woken
 * when its group's version moves past `since` (any replica's publish reaches us through the bus and
 * the agent directory), when its agent is moved or revoked, when S seconds pass, or when the server
 * stops (then 204 at once).
 */
import type { ServerResponse } from 'node:http';
import type { AgentDirectory } from '../fleet/agent-directory.ts';

export type WakeReason = 'changed' | 'timeout' | 'shutdown';

interface Waiter {
  agentId: string;
  groupId: string;
  since: number;
  res: ServerResponse;
  timer: NodeJS.Timeout;
  resume: (reason: WakeReason) => void;
}

export class LongPolls {
  private readonly byGroup = new Map<string, Set<Waiter>>();
  private readonly byAgent = new Map<string, Waiter>();
  private readonly unwatch: () => void;
  private closing = false;

  constructor(directory: AgentDirectory) {
    this.unwatch = directory.watch({
      versionChanged: (groupId, version) => {
        for (const w of [...(this.byGroup.get(groupId) ?? [])])
          if (version > w.since) this.wake(w, 'changed');
      },
      agentChanged: (agentId) => {
        const waiter = this.byAgent.get(agentId);
        if (waiter) this.wake(waiter, 'changed');
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
   * Hold `res` for up to `seconds`; `resume` is called exactly once with why it woke. A second held
   * poll of the same agent replaces the first, which is answered as a timeout.
   */
  hold(
    agentId: string,
    groupId: string,
    since: number,
    seconds: number,
    res: ServerResponse,
    resume: (reason: WakeReason) => void,
  ): void {
    const previous = this.byAgent.get(agentId);
    if (previous) this.wake(previous, 'timeout');
    const waiter: Waiter = {
      agentId,
      groupId,
      since,
      res,
      resume,
      timer: setTimeout(() => this.wake(waiter, 'timeout'), seconds * 1000),
    };
    this.byAgent.set(agentId, waiter);
    let group = this.byGroup.get(groupId);
    if (!group) this.byGroup.set(groupId, (group = new Set()));
    group.add(waiter);
    res.once('close', () => this.remove(waiter));
  }

  /** Answer every held poll (204) and refuse to hold new ones; call when the server stops. */
  closeAll(): void {
    this.closing = true;
    this.unwatch();
    for (const waiter of [...this.byAgent.values()]) this.wake(waiter, 'shutdown');
  }

  private wake(waiter: Waiter, reason: WakeReason): void {
    if (!this.remove(waiter)) return;
    waiter.resume(reason);
  }

  private remove(waiter: Waiter): boolean {
    if (this.byAgent.get(waiter.agentId) !== waiter) return false;
    clearTimeout(waiter.timer);
    this.byAgent.delete(waiter.agentId);
    const group = this.byGroup.get(waiter.groupId);
    group?.delete(waiter);
    if (group?.size === 0) this.byGroup.delete(waiter.groupId);
    return true;
  }
}
