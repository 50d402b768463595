/**
 * Whole-database backups and their restore, for both stores (`npm run flotilla -- backup|restore`,
 * and the scheduled backups of api/jobs/backups.ts).
 *
 * - PostgreSQL: `pg_dump --format=custom`, one consistent snapshot while servers keep running,
 *   restored by `pg_restore` in one transaction into an empty database.
 * - PGlite: a gzip tarball of the data directory (PGlite's own dump) taken by the process that holds
 *   the database, restored into an empty directory. PGlite is one process: the CLI cannot back up a
 *   directory a running server holds (openDb refuses), so such servers use scheduled backups.
 *
 * A backup file says which kind it is by its first bytes; restoring one kind into the other is refused.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';

const run = promisify(execFile);
/** pg_dump's custom format starts with these bytes. */
const PG_DUMP_MAGIC = Buffer.from('PGDMP');
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
/** Scheduled backups are named `flotilla-<kind>-<time>.backup`; only those are ever pruned. */
const SCHEDULED_NAME = /^flotilla-(postgres|pglite)-\d{8}T\d{6}Z\.backup$/;

export type BackupKind = 'postgres' | 'pglite';

/** A backup or restore that cannot be done, with the reason an operator can act on. */
export class BackupError extends Error {}

/** Write `data` to `file` through a temporary file and a rename, so a crash never leaves half a backup. */
async function writeAtomically(file: string, data: Uint8Array): Promise<void> {
  const temp = `${file}.${process.pid}.partial`;
  await fs.writeFile(temp, data, { mode: 0o600 });
  await fs.rename(temp, file);
}

/** Run a PostgreSQL client tool, turning "not installed" into an actionable BackupError. */
async function pgTool(tool: 'pg_dump' | 'pg_restore', args: string[]): Promise<void> {
  try {
    await run(tool, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT')
      throw new BackupError(
        `${tool} is not installed: install PostgreSQL's client tools (Debian: postgresql-client, the server's major version or newer)`,
      );
    throw new BackupError(`${tool} failed: ${(failure.stderr ?? failure.message).trim()}`);
  }
}

/** Back up the PostgreSQL database at `url` to `outFile` with pg_dump (consistent while servers run). */
export async function dumpPostgres(url: string, outFile: string): Promise<void> {
  const temp = `${outFile}.${process.pid}.partial`;
  await pgTool('pg_dump', [
    '--format=custom',
    '--no-owner',
    '--no-privileges',
    `--file=${temp}`,
    `--dbname=${url}`,
  ]);
  await fs.chmod(temp, 0o600);
  await fs.rename(temp, outFile);
}

/** Back up an open PGlite database to `outFile` (its data directory as a gzip tarball). */
export async function dumpPglite(pglite: PGlite, outFile: string): Promise<void> {
  const tarball = await pglite.dumpDataDir('gzip');
  await writeAtomically(outFile, new Uint8Array(await tarball.arrayBuffer()));
}

/** Which store a backup file is for, from its first bytes; BackupError when it is neither. */
export async function backupKind(file: string): Promise<BackupKind> {
  const handle = await fs.open(file, 'r').catch(() => {
    throw new BackupError(`cannot read the backup file ${file}`);
  });
  try {
    const head = Buffer.alloc(PG_DUMP_MAGIC.length);
    await handle.read(head, 0, head.length, 0);
    if (head.equals(PG_DUMP_MAGIC)) return 'postgres';
    if (head.subarray(0, 2).equals(GZIP_MAGIC)) return 'pglite';
  } finally {
    await handle.close();
  }
  throw new BackupError(`${file} is not a Flotilla backup (neither a pg_dump archive nor a PGlite tarball)`);
}

async function requireKind(file: string, expected: BackupKind): Promise<void> {
  const kind = await backupKind(file);
  if (kind !== expected) {
    throw new BackupError(
      kind === 'postgres'
        ? 'this is a PostgreSQL backup: restore it with DATABASE_URL set to an empty PostgreSQL database'
        : 'this is a PGlite backup: restore it without DATABASE_URL, into an empty FLOTILLA_DATA_DIR',
    );
  }
}

/**
 * Restore `inFile` into the PostgreSQL database at `url`. The database must have no tables, unless
 * `replace` (then its public schema is dropped first). One transaction: a failed restore leaves
 * the database as it was.
 */
export async function restorePostgres(url: string, inFile: string, replace: boolean): Promise<void> {
  await requireKind(inFile, 'postgres');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
    if (tables.rows[0].n > 0) {
      if (!replace)
        throw new BackupError(
          'the database already has tables: restore into an empty database, or pass --replace to drop them first',
        );
      await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    }
  } finally {
    await client.end();
  }
  await pgTool('pg_restore', [
    '--no-owner',
    '--no-privileges',
    '--single-transaction',
    '--exit-on-error',
    `--dbname=${url}`,
    inFile,
  ]);
}

/**
 * Restore `inFile` into the PGlite data directory `dataDir`, which must be missing or empty unless
 * `replace`: then the old directory is kept beside it as `<dir>.before-restore-<time>`, never deleted.
 */
export async function restorePglite(dataDir: string, inFile: string, replace: boolean): Promise<void> {
  await requireKind(inFile, 'pglite');
  const existing = await fs.readdir(dataDir).catch((): string[] => []);
  if (existing.length > 0) {
    if (!replace)
      throw new BackupError(
        `${dataDir} is not empty: restore into an empty FLOTILLA_DATA_DIR, or pass --replace to keep the old one aside`,
      );
    if (existing.includes('.flotilla.lock'))
      throw new BackupError(`${dataDir} is in use (a server holds it): stop the server first`);
    await fs.rename(dataDir, `${dataDir}.before-restore-${timestamp(new Date())}`);
  }
  await fs.mkdir(path.dirname(path.resolve(dataDir)), { recursive: true });
  const tarball = new Blob([await fs.readFile(inFile)]);
  const pglite = await PGlite.create(dataDir, { loadDataDir: tarball });
  await pglite.query('SELECT 1');
  await pglite.close();
}

/** `20261206T101500Z` for a time: sortable, and safe in file names. */
export function timestamp(time: Date): string {
  return time
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** The file name of a scheduled backup taken at `time`. */
export function scheduledBackupName(kind: BackupKind, time: Date): string {
  return `flotilla-${kind}-${timestamp(time)}.backup`;
}

/**
 * Delete the oldest scheduled backups in `dir` so that `keep` remain; other files are never touched.
 * Resolves the names deleted.
 */
export async function pruneScheduledBackups(dir: string, keep: number): Promise<string[]> {
  const names = (await fs.readdir(dir)).filter((name) => SCHEDULED_NAME.test(name));
  // The time is the part after the kind: sort by it, newest first.
  const byTime = names.sort((a, b) => (a.slice(-23) < b.slice(-23) ? 1 : -1));
  const doomed = byTime.slice(keep);
  await Promise.all(doomed.map((name) => fs.rm(path.join(dir, name), { force: true })));
  return doomed;
}
