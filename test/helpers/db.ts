/**
 * A fresh, migrated database per test file, on the backend named by FLOTILLA_TEST_DB:
 * `pglite` copies a migrated template data directory (initdb once, not per file) or reuses, reset,
 * one an earlier file of the worker destroyed (pglite-pool.ts); `postgres` creates a database from
 * a migrated template database. Nothing is shared between files.
 */
import crypto from 'node:crypto';
import fsSync from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDb, type Db } from '../../api/db.ts';
import { readMigrations } from '../../api/migrations.ts';
import {
  poolDir,
  rememberTemplate,
  release,
  removeDeadWorkersDatabases,
  reuse,
  type PooledPglite,
} from './pglite-pool.ts';

export type TestBackend = 'pglite' | 'postgres';

/** The server URL tests use for PostgreSQL (FLOTILLA_TEST_DATABASE_URL overrides). */
export const ADMIN_URL =
  process.env.FLOTILLA_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** The backend this test process runs on. */
export function testBackend(): TestBackend {
  return process.env.FLOTILLA_TEST_DB === 'postgres' ? 'postgres' : 'pglite';
}

/** A name that changes whenever the migrations change, so stale templates are never used. */
export async function templateName(): Promise<string> {
  const files = await readMigrations();
  const hash = crypto
    .createHash('sha256')
    .update(files.map((f) => `${f.name}:${f.checksum}`).join())
    .digest('hex')
    .slice(0, 12);
  return `flotilla_test_template_${hash}`;
}

/** Where the migrated PGlite template lives. */
export async function pgliteTemplateDir(): Promise<string> {
  return path.join(os.tmpdir(), await templateName());
}

/** Replace the database name of a PostgreSQL URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDb {
  db: Db;
  /** A DatabaseConfig that opens the same database (for a second server process). */
  config: { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };
  /** Close the database and remove it (PGlite: hand it back to the worker, pglite-pool.ts). */
  destroy(): Promise<void>;
}

/** A copy of the migrated template, opened; the first one a worker opens is remembered as the template's state. */
async function freshPglite(id: string): Promise<PooledPglite> {
  await removeDeadWorkersDatabases();
  const dataDir = poolDir(id);
  // fs.cpSync copies in native code: a fifth of fs.cp's CPU for the template's 1,100 files.
  fsSync.cpSync(await pgliteTemplateDir(), dataDir, { recursive: true });
  const db = await openDb({ kind: 'pglite', dataDir }, { observeQueries: true });
  await rememberTemplate(db);
  return { db, dataDir };
}

/**
 * Create and open a fresh migrated database for one test file. On PGlite the worker may hand out a
 * database an earlier file destroyed, reset to the template's state (pglite-pool.ts).
 */
export async function createTestDb(): Promise<TestDb> {
  const id = crypto.randomBytes(6).toString('hex');
  if (testBackend() === 'pglite') {
    const { db, dataDir } = (await reuse()) ?? (await freshPglite(id));
    let destroyed = false;
    return {
      db,
      config: { kind: 'pglite', dataDir },
      async destroy() {
        if (destroyed) return;
        destroyed = true;
        release({ db, dataDir });
      },
    };
  }
  const name = `flotilla_test_${id}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${await templateName()}`);
  // As the README advises for production: JIT compiles these short queries one by one (slow).
  await admin.query(`ALTER DATABASE ${name} SET jit = off`);
  await admin.end();
  const url = withDatabase(ADMIN_URL, name);
  const db = await openDb({ kind: 'postgres', url }, { observeQueries: true });
  return {
    db,
    config: { kind: 'postgres', url },
    async destroy() {
      // A file may have closed it already (an outage test): the database goes all the same.
      await db.close().catch(() => undefined);
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
