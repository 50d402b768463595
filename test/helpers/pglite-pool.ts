/**
 * PGlite databases kept by a test worker between files. Opening one costs ~1.5 s CPU (PostgreSQL's
 * start-up in WebAssembly and the template copy; measured), so a database a file destroyed goes
 * back here, and the next file gets it reset to the template's state: tables the server added at
 * run time (telemetry partitions) dropped, every table emptied and the template's rows (the
 * migration records) put back. Files still share nothing: a database whose schema no longer
 * matches the template's (a file changed it), or that a file closed, is closed and removed instead
 * of reused. The worker keeps this module from file to file (`isolate: false`).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '../../api/db.ts';
import { isAlive } from './machine-lock.ts';

export interface PooledPglite {
  db: Db;
  dataDir: string;
}

/** The template's state, read from the first fresh copy this worker opened. */
interface TemplateState {
  fingerprint: string;
  tables: string[];
  rows: Map<string, string>;
}

const idle: PooledPglite[] = [];
let template: TemplateState | undefined;

/** Where a worker's databases live: named by its pid, so a later worker can remove a dead one's. */
export function poolDir(id: string): string {
  return path.join(os.tmpdir(), `${POOL_PREFIX}${process.pid}-${id}`);
}

const POOL_PREFIX = 'flotilla-test-pool-';

/**
 * Removes the databases of workers that are gone: Vitest ends a worker with SIGTERM, and a database
 * still open then is written back on its way out, so a worker cannot reliably remove its own.
 */
export async function removeDeadWorkersDatabases(): Promise<void> {
  for (const name of await fs.readdir(os.tmpdir())) {
    const pid = Number(name.startsWith(POOL_PREFIX) ? name.slice(POOL_PREFIX.length).split('-')[0] : NaN);
    if (Number.isInteger(pid) && !isAlive(pid)) {
      await fs.rm(path.join(os.tmpdir(), name), { recursive: true, force: true });
    }
  }
}

/** Everything a test file could change about the schema, as one hash. */
const FINGERPRINT = `SELECT md5(string_agg(item, E'\\n' ORDER BY item)) AS fingerprint FROM (
  SELECT format('%s.%s %s %s %s', table_name, column_name, data_type, is_nullable, column_default) AS item
    FROM information_schema.columns WHERE table_schema = 'public'
  UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL SELECT conrelid::regclass || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT 'function ' || oid::regprocedure || md5(prosrc) FROM pg_proc
    WHERE pronamespace = 'public'::regnamespace
  UNION ALL SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL SELECT 'enum ' || enumtypid::regtype || ' ' || enumlabel FROM pg_enum
  UNION ALL SELECT 'view ' || viewname || md5(definition) FROM pg_views WHERE schemaname = 'public'
  UNION ALL SELECT 'sequence ' || sequencename FROM pg_sequences WHERE schemaname = 'public'
) items`;

async function fingerprint(db: Db): Promise<string> {
  const [row] = await db.prisma.$queryRawUnsafe<{ fingerprint: string }[]>(FINGERPRINT);
  return row.fingerprint;
}

async function tableNames(db: Db): Promise<string[]> {
  const rows = await db.prisma.$queryRawUnsafe<{ name: string }[]>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
  );
  return rows.map((row) => row.name);
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Records the template's schema and rows from a freshly copied database (first call per worker). */
export async function rememberTemplate(db: Db): Promise<void> {
  if (template) return;
  const tables = await tableNames(db);
  const rows = new Map<string, string>();
  for (const table of tables) {
    const [row] = await db.prisma.$queryRawUnsafe<{ rows: string | null }[]>(
      `SELECT json_agg(t)::text AS rows FROM ${quote(table)} t`,
    );
    if (row.rows) rows.set(table, row.rows);
  }
  template = { fingerprint: await fingerprint(db), tables, rows };
}

/** Puts a database a file destroyed back for the next file. */
export function release(entry: PooledPglite): void {
  idle.push(entry);
}

/** An idle database reset to the template's state, or undefined when none can be reused. */
export async function reuse(): Promise<PooledPglite | undefined> {
  for (let entry = idle.pop(); entry; entry = idle.pop()) {
    if (await reset(entry.db)) return entry;
    await entry.db.close().catch(() => undefined);
    await fs.rm(entry.dataDir, { recursive: true, force: true });
  }
  return undefined;
}

/** Empties every table and restores the template's rows; false when the database cannot be reused. */
async function reset(db: Db): Promise<boolean> {
  if (!template) return false;
  const state = template;
  try {
    // Tables the server made at run time (telemetry's daily partitions) go; it makes them again.
    const added = (await tableNames(db)).filter((table) => !state.tables.includes(table));
    await db.withMigrationLock(async (exec) => {
      await exec('ROLLBACK; RESET ALL; SELECT pg_advisory_unlock_all();');
      if (added.length) await exec(`DROP TABLE IF EXISTS ${added.map(quote).join(', ')} CASCADE;`);
    });
    if ((await fingerprint(db)) !== state.fingerprint) return false;
    await db.withMigrationLock((exec) =>
      exec(`TRUNCATE ${state.tables.map(quote).join(', ')} RESTART IDENTITY CASCADE;`),
    );
    for (const [table, rows] of state.rows) {
      await db.prisma.$executeRawUnsafe(
        `INSERT INTO ${quote(table)} SELECT * FROM json_populate_recordset(NULL::${quote(table)}, $1::json)`,
        rows,
      );
    }
    return true;
  } catch {
    // Closed by the file (an outage test) or otherwise unusable.
    return false;
  }
}
