/**
 * `flotilla backup --out FILE` and `flotilla restore --in FILE [--replace]`: whole-database backups
 * of the configured store (api/backups.ts). They run before the CLI opens the fleet: a restore must
 * find its target empty, and a backup needs no migration.
 */
import path from 'node:path';
import type { ServerConfig } from '../config.ts';
import { openDb } from '../db.ts';
import { BackupError, restorePglite, restorePostgres } from '../backups.ts';
import { flags } from './args.ts';

/** Back up the configured database to `--out`; PGlite only when no server holds its directory. */
export async function backupCommand(config: ServerConfig, argv: string[], print: (line: string) => void) {
  const { values } = flags(argv, { out: { type: 'string', required: true } });
  const outFile = path.resolve(String(values.out));
  const db = await openDb(config.database).catch((error: unknown) => {
    if (config.database.kind === 'pglite' && /in use by process/.test(String(error)))
      throw new BackupError(
        `${String((error as Error).message)}. PGlite is one process: stop the server, or let it back itself up (FLOTILLA_BACKUP_DIR)`,
      );
    throw error;
  });
  try {
    await db.backup(outFile);
  } finally {
    await db.close();
  }
  print(`backed up the ${config.database.kind} database to ${outFile}`);
}

/** Restore `--in` into the configured (empty, or `--replace`d) database; servers must be stopped. */
export async function restoreCommand(config: ServerConfig, argv: string[], print: (line: string) => void) {
  const { values } = flags(argv, { in: { type: 'string', required: true }, replace: { type: 'boolean' } });
  const inFile = path.resolve(String(values.in));
  const replace = values.replace === true;
  if (config.database.kind === 'postgres') await restorePostgres(config.database.url, inFile, replace);
  else await restorePglite(config.database.dataDir, inFile, replace);
  print(
    `restored ${inFile} into the ${config.database.kind} database; start the server to apply any newer migrations`,
  );
}
