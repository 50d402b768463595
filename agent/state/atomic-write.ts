/**
 * Crash-safe file replacement (style rule 8): write a temp file in the same directory, fsync it,
 * rename it over the target, fsync the directory. After a crash at any point the target holds
 * either the old bytes or the new bytes, never a mix.
 */
import { randomBytes } from 'node:crypto';
import type * as fsp from 'node:fs/promises';
import path from 'node:path';

/** The filesystem calls the agent makes; node:fs/promises in production, a wrapper in tests. */
export type AgentFs = Pick<
  typeof fsp,
  | 'open'
  | 'rename'
  | 'readFile'
  | 'mkdir'
  | 'rm'
  | 'chmod'
  | 'chown'
  | 'stat'
  | 'symlink'
  | 'readlink'
  | 'readdir'
>;

/**
 * Writes `data` to `file` (created or truncated) and fsyncs it before returning; sets `mode`
 * exactly, whatever the umask. Rejects on any I/O error; the file may then be partial, so use this
 * only on files nobody reads yet (temp files, candidates).
 */
export async function writeFileDurable(fs: AgentFs, file: string, data: string | Uint8Array, mode = 0o644) {
  const handle = await fs.open(file, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.chmod(file, mode);
}

/**
 * Renames `from` over `to` and fsyncs the directory so the rename itself survives a power cut.
 * Both must be in the same filesystem. Rejects if the rename fails; `to` is then untouched.
 */
export async function renameDurable(fs: AgentFs, from: string, to: string): Promise<void> {
  await fs.rename(from, to);
  await syncDirectory(fs, path.dirname(to));
}

/**
 * Atomically replaces `file` with `data` (temp + fsync + rename + directory fsync). On failure
 * the temp file is removed, the old file is left as it was, and the error is rethrown.
 */
export async function writeFileAtomic(
  fs: AgentFs,
  file: string,
  data: string | Uint8Array,
  options: { mode?: number } = {},
): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFileDurable(fs, temp, data, options.mode ?? 0o644);
    await renameDurable(fs, temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}

async function syncDirectory(fs: AgentFs, dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory (EINVAL); the rename is still atomic there.
  } finally {
    await handle.close();
  }
}

/** Reads a UTF-8 file, or returns undefined if it does not exist. Rejects on other I/O errors. */
export async function readFileIfExists(fs: AgentFs, file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
