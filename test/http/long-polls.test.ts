/**
 * The held-poll registry (api/rest/long-poll.ts) on its own: holds end at S × [0.9, 1) drawn from
 * the injected random (never early), on the shared tick, each answered once; a change wakes only
 * the polls behind it. Time is an injected `now`; the test runs the tick's work (expireDue) itself.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentDirectory, DirectoryWatcher } from '../../api/fleet/agent-directory.ts';
import { HOLD_JITTER, LongPolls, type HeldPoll, type WakeReason } from '../../api/rest/long-poll.ts';

const registries: LongPolls[] = [];
afterEach(() => registries.splice(0).forEach((r) => r.closeAll()));

function registry(draws: number[]) {
  let watcher: DirectoryWatcher = {};
  const directory = {
    watch: (w: DirectoryWatcher) => ((watcher = w), () => undefined),
    pinnedVersion: () => undefined,
  };
  const woken: { agentId: string; reason: WakeReason }[] = [];
  const wokenRecords: HeldPoll[] = [];
  const clock = { now: 1_000_000 };
  const polls = new LongPolls(
    directory as unknown as AgentDirectory,
    (held: HeldPoll, reason) => {
      woken.push({ agentId: held.agentId, reason });
      wokenRecords.push(held);
    },
    () => draws.shift() ?? 0,
    () => clock.now,
  );
  registries.push(polls);
  const hold = (agentId: string, groupId: string, since: number, seconds: number) => {
    const res = new EventEmitter() as unknown as ServerResponse;
    polls.hold(agentId, groupId, since, seconds, {} as IncomingMessage, res);
    return res;
  };
  return { polls, woken, wokenRecords, clock, hold, watcher: () => watcher };
}

describe('held polls', () => {
  it('ends each hold at S × (1 − HOLD_JITTER × random), never before', () => {
    const r = registry([0.999, 0.5, 0]);
    r.hold('a', 'g', 1, 50);
    r.hold('b', 'g', 1, 50);
    r.hold('c', 'g', 1, 50);
    const start = r.clock.now;
    const at = (share: number) => start + 50_000 * (1 - HOLD_JITTER * share);
    const after = (ms: number) => {
      r.clock.now = ms;
      r.polls.expireDue();
      return r.woken.map((w) => w.agentId);
    };
    expect(after(Math.floor(at(0.999)) - 1)).toEqual([]);
    expect(after(Math.ceil(at(0.999)) + 100)).toEqual(['a']);
    expect(after(Math.floor(at(0.5)) - 1)).toEqual(['a']);
    expect(after(Math.ceil(at(0.5)) + 100)).toEqual(['a', 'b']);
    expect(after(at(0) - 1)).toEqual(['a', 'b']);
    expect(after(at(0) + 100)).toEqual(['a', 'b', 'c']);
    expect(r.woken.every((w) => w.reason === 'timeout')).toBe(true);
    expect(r.polls.size).toBe(0);
  });

  it('wakes the polls of a group behind the new version once, and forgets closed ones', () => {
    const r = registry([]);
    r.hold('behind', 'g', 1, 60);
    r.hold('ahead', 'g', 5, 60);
    r.hold('other', 'h', 1, 60);
    const closed = r.hold('closed', 'g', 1, 60);
    closed.emit('close');
    r.watcher().versionChanged?.('g', 3);
    r.watcher().versionChanged?.('g', 3);
    expect(r.woken).toEqual([{ agentId: 'behind', reason: 'changed' }]);
    r.watcher().agentChanged?.('other');
    r.hold('ahead', 'g', 5, 60);
    expect(r.woken.slice(1)).toEqual([
      { agentId: 'other', reason: 'changed' },
      { agentId: 'ahead', reason: 'timeout' },
    ]);
    r.polls.closeAll();
    expect(r.woken.slice(3)).toEqual([{ agentId: 'ahead', reason: 'shutdown' }]);
    expect(r.polls.size).toBe(0);
  });

  it('holds a woken poll again until its original hold ends, unless a newer one is held or it ended', () => {
    const r = registry([0]);
    r.hold('a', 'g', 1, 10);
    const start = r.clock.now;
    r.watcher().agentChanged?.('a');
    const [first] = r.wokenRecords;
    expect(r.polls.holdAgain(first)).toBe(true);
    expect(r.polls.holdAgain(first)).toBe(false);
    expect(r.polls.size).toBe(1);
    r.clock.now = start + 9_000;
    r.polls.expireDue();
    expect(r.polls.size).toBe(1);
    r.clock.now = start + 10_100;
    r.polls.expireDue();
    expect(r.woken).toEqual([
      { agentId: 'a', reason: 'changed' },
      { agentId: 'a', reason: 'timeout' },
    ]);
    expect(r.polls.holdAgain(first)).toBe(false);
    r.hold('b', 'g', 1, 10);
    r.watcher().agentChanged?.('b');
    r.hold('b', 'g', 1, 10);
    expect(r.polls.holdAgain(r.wokenRecords[2])).toBe(false);
    r.polls.closeAll();
    expect(r.polls.holdAgain(r.wokenRecords[2])).toBe(false);
  });
});
