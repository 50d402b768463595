/**
 * The little the agent needs to know about processes it did not spawn itself (a Vector left over
 * from a killed agent, the agent a watcher replaces): liveness, signals and /proc command lines.
 */
import { readFileSync, readdirSync } from 'node:fs';
import type * as fsp from 'node:fs/promises';

export interface ProcessTable {
  /** True if a process with this pid exists (it may belong to another user) and is not a zombie. */
  isAlive(pid: number): boolean;
  /** Sends a signal; returns false if the process is gone (or not ours to signal). */
  kill(pid: number, signal: NodeJS.Signals): boolean;
  /** The command line (arguments joined by spaces), or undefined if unknown or gone. */
  commandLine(pid: number): Promise<string | undefined>;
  /** Pids of live processes whose argument vector matches (this process excluded). */
  find(match: (argv: string[]) => boolean): Promise<number[]>;
}

/** The real process table (process.kill and /proc). Create once in main.ts. */
export function createProcessTable(readFile: (typeof fsp)['readFile']): ProcessTable {
  return {
    isAlive(pid) {
      try {
        process.kill(pid, 0);
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'EPERM';
      }
      return !isZombie(pid);
    },
    kill(pid, signal) {
      try {
        process.kill(pid, signal);
        return true;
      } catch {
        return false;
      }
    },
    async commandLine(pid) {
      return (await readArgv(readFile, pid))?.join(' ');
    },
    async find(match) {
      const pids = readdirSync('/proc')
        .filter((name) => /^\d+$/.test(name))
        .map(Number)
        .filter((pid) => pid !== process.pid);
      const found: number[] = [];
      for (const pid of pids) {
        const argv = await readArgv(readFile, pid);
        if (argv && match(argv) && this.isAlive(pid)) found.push(pid);
      }
      return found;
    },
  };
}

/**
 * A process that exited but was not reaped yet (state Z in /proc/<pid>/stat) still answers
 * kill(pid, 0); an orphan re-parented to a PID 1 that does not reap stays that way. It is gone.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

async function readArgv(readFile: (typeof fsp)['readFile'], pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((arg) => arg !== '');
  } catch {
    return undefined;
  }
}
