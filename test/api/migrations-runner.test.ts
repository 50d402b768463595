/** The start-up migration runner on an empty database: applies everything once, then nothing; detects edited migrations. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../api/db.ts';
import { MIGRATIONS_DIR, applyMigrations, pendingMigrations, readMigrations } from '../../api/migrations.ts';
import { ADMIN_URL, testBackend, withDatabase } from '../helpers/db.ts';

let db: Db;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  if (testBackend() === 'pglite') {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-empty-'));
    db = await openDb({ kind: 'pglite', dataDir: dir });
    cleanup = () => fs.rm(dir, { recursive: true, force: true });
  } else {
    const name = `flotilla_test_empty_${process.pid}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    db = await openDb({ kind: 'postgres', url: withDatabase(ADMIN_URL, name) });
    cleanup = async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
}, 60_000);
afterAll(async () => {
  await db.close();
  await cleanup();
});

describe('migration runner', () => {
  it('applies every migration to an empty database once, recorded like the Prisma CLI does', async () => {
    const files = await readMigrations();
    expect(await pendingMigrations(db)).toEqual(files.map((f) => f.name));
    expect(await applyMigrations(db)).toEqual(files.map((f) => f.name));
    expect(await applyMigrations(db)).toEqual([]);
    expect(await pendingMigrations(db)).toEqual([]);
    const rows = await db.prisma.$queryRawUnsafe<{ migration_name: string; checksum: string }[]>(
      'SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(rows).toEqual(files.map((f) => ({ migration_name: f.name, checksum: f.checksum })));
    expect(await db.prisma.group.count()).toBe(0);
  });

  it('refuses to start when an applied migration was edited afterwards', async () => {
    const copy = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-migrations-'));
    try {
      await fs.cp(MIGRATIONS_DIR, copy, { recursive: true });
      const [first] = await readMigrations(copy);
      await fs.appendFile(path.join(copy, first.name, 'migration.sql'), '\n-- edited\n');
      await expect(applyMigrations(db, copy)).rejects.toThrow(/changed after it was applied/);
    } finally {
      await fs.rm(copy, { recursive: true, force: true });
    }
  });
});
