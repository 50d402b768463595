/**
 * The agent's single executable for the end-to-end tests, built once per run and shared by every
 * test file: `buildSea` into one directory under the temp dir per version, which it reuses while
 * the script (i.e. the bundle's sources), the Node binary and the fuse are unchanged. A lock file
 * holding the builder's pid keeps parallel test files (in other workers) from building it twice;
 * a lock whose process is gone is taken over. Within a worker the first answer is kept, so later
 * files do not bundle the script and hash the Node binary again to learn the build is current.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildSea } from '../../agent/build-sea.ts';
import { tryLock } from '../helpers/machine-lock.ts';
import { oncePerKey, waitFor } from './helpers.ts';

/** The executable stamped with `version` (built or reused, once per worker); resolves its path. */
export const agentExecutable = oncePerKey(async (version: string): Promise<string> => {
  const dir = path.join(os.tmpdir(), 'flotilla-agent-sea', version);
  await fs.mkdir(dir, { recursive: true });
  const lock = path.join(dir, 'build.lock');
  await waitFor('the executable build lock', () => tryLock(lock), 300_000, 250);
  try {
    return (await buildSea({ outFile: path.join(dir, 'flotilla-agent'), version })).outFile;
  } finally {
    await fs.rm(lock, { force: true });
  }
});

/** The command that runs `entry`: node for a bundle (.mjs), the file itself for an executable. */
export function agentCommand(entry: string): string[] {
  return entry.endsWith('.mjs') ? [process.execPath, entry] : [entry];
}
