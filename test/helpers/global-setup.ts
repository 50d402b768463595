/**
 * Runs once before the tests: builds the migrated templates that helpers/db.ts copies — a PGlite
 * data directory and a PostgreSQL template database — unless current ones exist.
 */
import fs from 'node:fs/promises';
import pg from 'pg';
import { openDb } from '../../api/db.ts';
import { applyMigrations } from '../../api/migrations.ts';
import { ADMIN_URL, pgliteTemplateDir, templateName, withDatabase } from './db.ts';

async function preparePglite(): Promise<void> {
  const dir = await pgliteTemplateDir();
  if (
    await fs.stat(dir).then(
      () => true,
      () => false,
    )
  )
    return;
  const building = `${dir}.${process.pid}.${Date.now()}`;
  const db = await openDb({ kind: 'pglite', dataDir: building });
  await applyMigrations(db);
  await db.close();
  // Another setup may have finished first: then keep theirs.
  await fs.rename(building, dir).catch(() => fs.rm(building, { recursive: true, force: true }));
}

async function preparePostgres(): Promise<void> {
  const name = await templateName();
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL}: start it (see README → Tests)`, {
      cause: error,
    });
  }
  try {
    await admin.query('SELECT pg_advisory_lock(7300118513)');
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return;
    await admin.query(`CREATE DATABASE ${name}_build`);
    const db = await openDb({ kind: 'postgres', url: withDatabase(ADMIN_URL, `${name}_build`) });
    await applyMigrations(db);
    await db.close();
    await admin.query(`ALTER DATABASE ${name}_build RENAME TO ${name}`);
  } catch (error) {
    await admin.query(`DROP DATABASE IF EXISTS ${name}_build WITH (FORCE)`).catch(() => undefined);
    throw error;
  } finally {
    await admin.end();
  }
}

/** Vitest global setup entry. */
export default async function setup(): Promise<void> {
  await Promise.all([preparePglite(), preparePostgres()]);
}
