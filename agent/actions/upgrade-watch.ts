/**
 * The upgrade watcher (`flotilla-agent upgrade-watch`), run from the OLD version's bundle by
 * upgrade.ts (see the design there). It waits for the old agent to exit, starts the new one when no
 * service manager will, and then waits for the new version's `done` result to be acknowledged by the
 * server. If the new agent exits first or the deadline passes, it rolls back: `current` → old
 * version, new agent stopped, phase `rolled_back` + reason recorded, old agent started again. A new
 * agent whose `done` is only waiting for its acknowledgement at the deadline gets one more timeout.
 */
import type { ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import path from 'node:path';
import type { Clock } from '../clock.ts';
import { sleep } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { ServiceManager } from '../settings.ts';
import type { AgentFs } from '../state/atomic-write.ts';
import { readFileIfExists } from '../state/atomic-write.ts';
import type { AgentState, InFlightAction, StateStore } from '../state/store.ts';
import type { ProcessTable } from '../supervisor/processes.ts';
import { BUNDLE_NAME } from '../version.ts';
import { UpgradeDetail, pointCurrentAt } from './upgrade.ts';

export interface WatchOptions {
  store: StateStore;
  fs: AgentFs;
  spawn: typeof nodeSpawn;
  clock: Clock;
  log: Logger;
  processes: ProcessTable;
  actionId: string;
  /** The old agent, which exits once the watcher runs. */
  agentPid: number;
  installDir: string;
  agentPidFile: string;
  agentLogFile: string;
  serviceManager: ServiceManager;
  nodePath: string;
  agentArgs: string[];
  env: NodeJS.ProcessEnv;
  upgradeTimeoutMs: number;
  stopGraceMs: number;
}

export type WatchResult = 'confirmed' | 'rolled_back' | 'nothing_to_watch';

const POLL_MS = 200;

/**
 * Watches one upgrade to its end. Resolves how it ended; rejects only on local I/O failures while
 * rolling back (then the old version may need a manual `systemctl restart`).
 */
export async function watchUpgrade(o: WatchOptions): Promise<WatchResult> {
  const state = await o.store.load();
  const inFlight = state.inFlight;
  const detail = UpgradeDetail.safeParse(inFlight?.detail);
  if (!inFlight || inFlight.id !== o.actionId || !detail.success || detail.data.phase !== 'switched') {
    o.log.warn('no switched upgrade in flight, nothing to watch', { actionId: o.actionId });
    return 'nothing_to_watch';
  }
  const { toVersion, previousTarget } = detail.data;
  await waitForExit(o, o.agentPid, o.stopGraceMs + 30_000);

  let child: ChildProcess | null = null;
  let childExit: string | null = null;
  if (o.serviceManager === 'none') {
    child = await launchAgent(o);
    child.once('exit', (code, signal) => (childExit = signal ? `signal ${signal}` : `code ${code}`));
  }
  o.log.info('waiting for the new version to report', { toVersion, timeoutMs: o.upgradeTimeoutMs });
  let deadline = o.clock.now() + o.upgradeTimeoutMs;
  let extended = false;
  let reason: string | null = null;
  while (reason === null) {
    const state = await o.store.load();
    if (confirmed(state, o.actionId)) {
      o.log.info('upgrade confirmed', { toVersion });
      return 'confirmed';
    }
    if (childExit) reason = `agent ${toVersion} exited (${childExit}) before its first heartbeat`;
    else if (o.clock.now() > deadline && !extended && reportingDone(state, o.actionId)) {
      // The new version runs and is sending its `done`: the server may have stored it already, with
      // only the answer late or lost. Rolling back now would leave the server saying "done" for a
      // host back on the old version; its next heartbeat settles it either way.
      extended = true;
      deadline = o.clock.now() + o.upgradeTimeoutMs;
      o.log.warn('the new version reports done, not yet acknowledged: waiting once more', { toVersion });
    } else if (o.clock.now() > deadline) {
      reason = `agent ${toVersion} did not get a heartbeat through within ${Math.round(o.upgradeTimeoutMs / 1000)}s`;
    } else await sleep(o.clock, POLL_MS);
  }

  o.log.warn('rolling back the upgrade', { reason });
  if (previousTarget) await pointCurrentAt(o.fs, path.join(o.installDir, 'current'), previousTarget);
  await stopNewAgent(o, child);
  await o.store.update((s) => {
    s.inFlight = rolledBack(inFlight, reason as string);
    s.pendingResults = s.pendingResults.filter((r) => r.actionId !== o.actionId);
  });
  if (o.serviceManager === 'none') await launchAgent(o);
  return 'rolled_back';
}

function confirmed(s: AgentState, actionId: string): boolean {
  return s.inFlight?.id !== actionId && !s.pendingResults.some((r) => r.actionId === actionId);
}

/** The new version took the action over and its `done` waits for the server's acknowledgement. */
function reportingDone(s: AgentState, actionId: string): boolean {
  return (
    s.inFlight?.id !== actionId &&
    s.pendingResults.some((r) => r.actionId === actionId && r.status === 'done')
  );
}

function rolledBack(inFlight: InFlightAction, reason: string): InFlightAction {
  return { ...inFlight, detail: { ...inFlight.detail, phase: 'rolled_back', reason } };
}

async function waitForExit(o: WatchOptions, pid: number, ms: number): Promise<void> {
  const deadline = o.clock.now() + ms;
  while (o.processes.isAlive(pid)) {
    if (o.clock.now() > deadline) {
      o.log.warn('process did not exit in time, sending SIGKILL', { pid });
      o.processes.kill(pid, 'SIGKILL');
      return;
    }
    await sleep(o.clock, 50);
  }
}

/**
 * Stops the new agent: the child the watcher started, or (under a service manager) whatever runs
 * `node current/flotilla-agent.mjs run` — found by its pid file or, for a release too broken to
 * write one, by its argument vector.
 */
async function stopNewAgent(o: WatchOptions, child: ChildProcess | null): Promise<void> {
  const pids = new Set<number>();
  if (child?.pid) pids.add(child.pid);
  if (!child) {
    const text = await readFileIfExists(o.fs, o.agentPidFile).catch(() => undefined);
    const recorded = text ? Number(JSON.parse(text).pid) : NaN;
    if (Number.isInteger(recorded)) pids.add(recorded);
    const entry = path.join(o.installDir, 'current', BUNDLE_NAME);
    for (const pid of await o.processes.find((argv) => argv[1] === entry && argv[2] === 'run')) pids.add(pid);
  }
  pids.delete(o.agentPid);
  for (const pid of pids) {
    if (!o.processes.isAlive(pid)) continue;
    o.processes.kill(pid, 'SIGTERM');
    await waitForExit(o, pid, o.stopGraceMs + 5_000);
  }
}

async function launchAgent(o: WatchOptions): Promise<ChildProcess> {
  const entry = path.join(o.installDir, 'current', BUNDLE_NAME);
  const log = await o.fs.open(o.agentLogFile, 'a', 0o640);
  try {
    const child = o.spawn(o.nodePath, [entry, 'run', ...o.agentArgs], {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      env: o.env,
    });
    child.unref();
    o.log.info('agent started', { pid: child.pid, entry });
    return child;
  } finally {
    await log.close();
  }
}
