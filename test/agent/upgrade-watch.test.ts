/**
 * The upgrade watcher's deadline, on the manual clock with a real state file and a real `current`
 * symlink: what B (the new version) writes to state.json decides between confirmed and rolled back.
 * A B whose `done` is stored but not yet acknowledged at the deadline gets one more timeout (the
 * server may have stored it: rolling back then would leave it saying "done" for a host on A).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { watchUpgrade, type WatchResult } from '../../agent/actions/upgrade-watch.ts';
import { StateStore } from '../../agent/state/store.ts';
import type { ProcessTable } from '../../agent/supervisor/processes.ts';
import { ManualClock, drive } from './manual-clock.ts';
import { memoryLogger, tempDir } from './helpers.ts';

const ACTION = 'upgrade-1';
const TIMEOUT_MS = 10_000;
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
});

/** No process is alive: A has exited, and B runs under a service manager the watcher does not own. */
const noProcesses: ProcessTable = {
  isAlive: () => false,
  kill: () => false,
  commandLine: async () => undefined,
  find: async () => [],
};

/** A switched upgrade A → B on disk, and the watcher started on it (not awaited). */
async function switchedUpgrade() {
  const dir = await tempDir();
  dirs.push(dir);
  for (const version of ['1.0.0', '2.0.0'])
    await fs.mkdir(path.join(dir, 'versions', version), { recursive: true });
  await fs.symlink(path.join(dir, 'versions', '2.0.0'), path.join(dir, 'current'));
  const paths = (name: string) => ({
    stateFile: path.join(dir, 'state.json'),
    identityFile: path.join(dir, `${name}-identity`),
    tokenFile: path.join(dir, `${name}-token`),
  });
  const { log, records } = memoryLogger();
  const agentB = new StateStore(fs, paths('b'), log);
  await agentB.load();
  await agentB.update((s) => {
    s.inFlight = {
      id: ACTION,
      type: 'upgrade_agent',
      payload: { targetVersion: '2.0.0' },
      receivedAt: new Date(0).toISOString(),
      detail: {
        phase: 'switched',
        fromVersion: '1.0.0',
        toVersion: '2.0.0',
        previousTarget: path.join(dir, 'versions', '1.0.0'),
      },
    };
  });
  const clock = new ManualClock();
  let ended: WatchResult | undefined;
  const watching = watchUpgrade({
    store: new StateStore(fs, paths('watcher'), log),
    fs,
    spawn,
    clock,
    log,
    processes: noProcesses,
    actionId: ACTION,
    agentPid: 999_999,
    installDir: dir,
    agentPidFile: path.join(dir, 'agent.pid'),
    agentLogFile: path.join(dir, 'agent.log'),
    serviceManager: 'systemd',
    nodePath: process.execPath,
    agentArgs: [],
    env: {},
    upgradeTimeoutMs: TIMEOUT_MS,
    stopGraceMs: 100,
  }).then((result) => (ended = result));
  /** B resumes the action into its `done`, waiting for the server's acknowledgement. */
  const reportDone = () =>
    agentB.update((s) => {
      s.inFlight = null;
      s.pendingResults = [
        { actionId: ACTION, status: 'done', result: { fromVersion: '1.0.0', toVersion: '2.0.0' } },
      ];
    });
  /** The server acknowledged B's result. */
  const acknowledge = () => agentB.update((s) => void (s.pendingResults = []));
  const current = async () => path.basename(await fs.readlink(path.join(dir, 'current')));
  // Simulated time only bounds the wait generously: the watcher's file I/O takes real time, more under
  // load, so the assertions check the outcome and how much simulated time had passed, not the budget.
  const whenEnded = () =>
    drive(clock, 'the watcher to end', () => ended, { stepMs: 100, maxSteps: (10 * TIMEOUT_MS) / 100 });
  return { clock, watching, reportDone, acknowledge, current, whenEnded, records, ended: () => ended };
}

describe('upgrade watcher deadline', () => {
  it('rolls back when B has not reported by the deadline', async () => {
    const u = await switchedUpgrade();
    const started = u.clock.now();
    expect(await u.whenEnded()).toBe('rolled_back');
    expect(u.clock.now() - started).toBeGreaterThan(TIMEOUT_MS);
    expect(await u.current()).toBe('1.0.0');
  });

  it('waits one more timeout for a done sent but not yet acknowledged, and confirms it then', async () => {
    const u = await switchedUpgrade();
    await u.reportDone();
    const started = u.clock.now();
    const extended = () => u.records.some((r) => String(r.msg).includes('waiting once more'));
    await drive(u.clock, 'the second timeout', extended, { stepMs: 100, maxSteps: (10 * TIMEOUT_MS) / 100 });
    expect(u.clock.now() - started).toBeGreaterThan(TIMEOUT_MS);
    expect(u.ended()).toBeUndefined();
    expect(await u.current()).toBe('2.0.0');
    await u.acknowledge();
    expect(await u.whenEnded()).toBe('confirmed');
    expect(await u.current()).toBe('2.0.0');
  });

  it('rolls back after the second timeout when the done is never acknowledged', async () => {
    const u = await switchedUpgrade();
    await u.reportDone();
    const started = u.clock.now();
    expect(await u.whenEnded()).toBe('rolled_back');
    expect(u.clock.now() - started).toBeGreaterThan(2 * TIMEOUT_MS);
    expect(await u.current()).toBe('1.0.0');
    await u.watching;
  });
});
