/**
 * Locks shared by the test files of one run on this machine (they run in several worker processes):
 * a file under the temp dir holding the holder's pid, taken with O_EXCL. A lock whose holder is gone
 * (a killed run) is taken over. Used to build something once per run, and to keep the heaviest files
 * (a 1,000-agent simulation) from running beside each other on two cores.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Try to take the lock file `file` once; true when taken, false while a live process holds it. */
export async function tryLock(file: string): Promise<boolean> {
  try {
    await fs.writeFile(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = Number(await fs.readFile(file, 'utf8').catch(() => ''));
    if (holder > 0 && isAlive(holder)) return false;
    // The holder is gone: remove its lock; the next try takes it (or a faster taker does).
    await fs.rm(file, { force: true });
    return false;
  }
}

/**
 * Wait (polling every `intervalMs`, up to `timeoutMs`) until this process holds the machine-wide lock
 * `name`; resolves the function that releases it. Rejects when the wait times out.
 */
export async function machineLock(
  name: string,
  timeoutMs: number,
  intervalMs = 250,
): Promise<() => Promise<void>> {
  const file = path.join(os.tmpdir(), `flotilla-test-${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  while (!(await tryLock(file))) {
    if (Date.now() > deadline) throw new Error(`the ${name} lock was not free within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return () => fs.rm(file, { force: true });
}

/** How long a simulated-fleet file waits for the other one (each holds it for 1–3 minutes). */
export const FLEET_LOCK_WAIT_MS = 300_000;
