/**
 * Applies prisma/migrations at start-up, on PostgreSQL and PGlite alike, without the Prisma CLI or
 * an engine binary. Each migration runs in its own transaction and is recorded in Prisma's own
 * `_prisma_migrations` table (same checksum), so `prisma migrate status/deploy` agree with it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Db } from './db.ts';

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../prisma/migrations');

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

/** List the migrations on disk, oldest first. Rejects when the folder cannot be read. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await fs.readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: crypto.createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/**
 * Apply every migration not yet recorded, under the database's migration lock so replicas that
 * start together apply each one once. Returns the names applied. Rejects (and applies nothing
 * further) when a migration fails or when an applied migration's file changed on disk.
 */
export async function applyMigrations(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = await readMigrations(dir);
  return db.withMigrationLock(async (exec) => {
    await exec(CREATE_TABLE);
    const applied = await appliedMigrations(db);
    const done: string[] = [];
    for (const file of files) {
      const previous = applied.get(file.name);
      if (previous !== undefined) {
        if (previous !== file.checksum) {
          throw new Error(`migration ${file.name} was changed after it was applied (checksum mismatch)`);
        }
        continue;
      }
      const id = crypto.randomUUID();
      const record =
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count) ' +
        `VALUES ('${id}', '${file.checksum}', '${file.name.replace(/'/g, "''")}', now(), 1)`;
      try {
        await exec(`BEGIN;\n${file.sql}\n;\n${record};\nCOMMIT;`);
      } catch (error) {
        await exec('ROLLBACK').catch(() => undefined);
        throw new Error(`migration ${file.name} failed: ${(error as Error).message}`, { cause: error });
      }
      done.push(file.name);
    }
    return done;
  });
}

/** Names of migrations on disk that the database has not applied yet; used by /readyz. */
export async function pendingMigrations(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = await readMigrations(dir);
  const applied = await appliedMigrations(db).catch(() => new Map<string, string>());
  return files.filter((f) => !applied.has(f.name)).map((f) => f.name);
}

async function appliedMigrations(db: Db): Promise<Map<string, string>> {
  const rows = await db.prisma.$queryRawUnsafe<{ migration_name: string; checksum: string }[]>(
    'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
  );
  return new Map(rows.map((r) => [r.migration_name, r.checksum]));
}
