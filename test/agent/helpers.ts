/**
 * Shared helpers for the agent tests: temp directories, polling for an outcome (never
 * sleep-and-hope), a memory logger, and child-process bookkeeping.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger, type Logger } from '../../agent/log.ts';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const FAKE_VECTOR = path.join(REPO, 'test/helpers/fake-vector/vector');

/** A fresh temp directory; removed by the returned cleanup. */
export async function tempDir(prefix = 'flotilla-agent-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/**
 * Polls `probe` every `intervalMs` until it returns a value other than undefined/false, and
 * resolves that value; rejects with `what` and the last probe error after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A logger that keeps its records in memory (and can echo them with AGENT_TEST_LOG=1). */
export function memoryLogger(): { log: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'debug',
    write: (line) => {
      records.push(JSON.parse(line) as Record<string, unknown>);
      if (process.env.AGENT_TEST_LOG) process.stderr.write(line);
    },
  });
  return { log, records };
}

/**
 * `make` called once per key in this process: later calls share the first call's promise, except
 * after it rejected (the next call tries again).
 */
export function oncePerKey<T>(make: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const made = new Map<string, Promise<T>>();
  return (key) => {
    let value = made.get(key);
    if (!value) {
      value = make(key);
      made.set(key, value);
      value.catch(() => made.delete(key));
    }
    return value;
  };
}

/** Reads a file, or undefined when it does not exist. */
export async function readIfExists(file: string): Promise<string | undefined> {
  return fs.readFile(file, 'utf8').catch(() => undefined);
}

/** Runs a TypeScript file as a child process (node --import tsx). */
export function spawnTs(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export { isAlive } from '../helpers/machine-lock.ts';

/**
 * SIGKILLs every process whose command line mentions `text` (a test's temp root): agents started
 * by an upgrade watcher, watchers, Vectors. Cleanup only; resolves once they are signalled.
 */
export async function killProcessesMentioning(text: string): Promise<void> {
  const pids = (await fs.readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  for (const pid of pids) {
    if (pid === process.pid) continue;
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}
