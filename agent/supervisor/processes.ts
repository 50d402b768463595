/**
 * The little the agent needs to know about processes it did not spawn itself (a Vector left over
 * from a killed agent, the agent a watcher replaces): liveness, signals and /proc command lines.
 */
import type * as fsp from 'node:fs/promises';

export interface ProcessTable {
  /** True if a process with this pid exists (it may belong to another user). */
  isAlive(pid: number): boolean;
  /** Sends a signal; returns false if the process is gone (or not ours to signal). */
  kill(pid: number, signal: NodeJS.Signals): boolean;
  /** The command line (arguments joined by spaces), or undefined if unknown or gone. */
  commandLine(pid: number): Promise<string | undefined>;
}

/** The real process table (process.kill and /proc). Create once in main.ts. */
export function createProcessTable(readFile: (typeof fsp)['readFile']): ProcessTable {
  return {
    isAlive(pid) {
      try {
        process.kill(pid, 0);
        return true;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'EPERM';
      }
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
      try {
        const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
        return raw.split('\0').join(' ').trim();
      } catch {
        return undefined;
      }
    },
  };
}
