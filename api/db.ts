/**
 * Opens the one database the server uses: PostgreSQL (DATABASE_URL) through adapter-pg, or an
 * embedded PGlite data directory (the default) through pglite-prisma-adapter. Both give the same
 * Prisma client, so nothing above this file knows which one it talks to.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.ts';
import type { DatabaseConfig } from './config.ts';
import { dumpPglite, dumpPostgres } from './backups.ts';

export type { PrismaClient };

export interface Db {
  prisma: PrismaClient;
  kind: DatabaseConfig['kind'];
  /**
   * Run `fn` on one dedicated connection while holding the database-wide migration lock (PGlite has
   * one connection and one process, so no lock is needed there). `exec` runs a multi-statement script.
   */
  withMigrationLock<T>(fn: (exec: (sql: string) => Promise<void>) => Promise<T>): Promise<T>;
  /**
   * Listen to every SQL statement Prisma sends (only when opened with `observeQueries`, as tests
   * do to count round trips); returns the unsubscribe function.
   */
  onQuery(listener: (sql: string) => void): () => void;
  /** Cheap liveness probe used by /readyz. Rejects when the database does not answer. */
  ping(): Promise<void>;
  /** Write a consistent backup of the whole database to `outFile` (api/backups.ts says how). */
  backup(outFile: string): Promise<void>;
  /** The PostgreSQL pool's connections (for /metrics), or null on PGlite. Never fails. */
  poolStats(): { total: number; idle: number; waiting: number } | null;
  close(): Promise<void>;
}

const MIGRATION_LOCK_KEY = 7_300_118_512;

/**
 * Open the database described by `config`. Creates a PGlite data directory when it is missing.
 * Rejects when PostgreSQL is unreachable or PGlite cannot open its directory (for example because
 * another process holds it).
 */
export async function openDb(config: DatabaseConfig, options: OpenOptions = {}): Promise<Db> {
  return config.kind === 'postgres' ? openPostgres(config.url, options) : openPglite(config.dataDir, options);
}

export interface OpenOptions {
  /** Emit every statement to onQuery listeners (tests); off in production, where it costs time. */
  observeQueries?: boolean;
}

type QueryListener = (sql: string) => void;

function createClient(adapter: PrismaPg | PrismaPGlite, options: OpenOptions) {
  const listeners = new Set<QueryListener>();
  if (!options.observeQueries) {
    return {
      prisma: new PrismaClient({ adapter }),
      onQuery: (): (() => void) => {
        throw new Error('open the database with observeQueries to listen to queries');
      },
    };
  }
  const prisma = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
  prisma.$on('query', (event) => {
    for (const listener of listeners) listener(event.query);
  });
  return {
    prisma: prisma as unknown as PrismaClient,
    onQuery(listener: QueryListener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

async function openPostgres(url: string, options: OpenOptions): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => {
    /* idle-client errors surface on the next query; nothing to do here */
  });
  const client = await pool.connect();
  client.release();
  const { prisma, onQuery } = createClient(new PrismaPg(pool), options);
  return {
    prisma,
    kind: 'postgres',
    onQuery,
    async withMigrationLock(fn) {
      const conn = await pool.connect();
      try {
        await conn.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        return await fn(async (sql) => {
          await conn.query(sql);
        });
      } finally {
        await conn.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
        conn.release();
      }
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    backup: (outFile) => dumpPostgres(url, outFile),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/**
 * PGlite must never be opened by two processes at once (stack-notes P10): hold a pid lock file in
 * the data directory, taking over a stale one whose process is gone.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockPath = path.join(dataDir, '.flotilla.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(lockPath, String(process.pid), { flag: 'wx' });
      return () => fs.rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(await fs.readFile(lockPath, 'utf8').catch(() => '0'));
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new Error(`the data directory ${dataDir} is in use by process ${holder}; stop it first`);
      }
      await fs.rm(lockPath, { force: true });
    }
  }
  throw new Error(`could not lock the data directory ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function openPglite(dataDir: string, options: OpenOptions): Promise<Db> {
  await fs.mkdir(dataDir, { recursive: true });
  const unlock = await lockDataDir(dataDir);
  const pglite = await PGlite.create(dataDir).catch(async (error: unknown) => {
    await unlock();
    throw error;
  });
  const { prisma, onQuery } = createClient(new PrismaPGlite(pglite), options);
  return {
    prisma,
    kind: 'pglite',
    onQuery,
    withMigrationLock: (fn) =>
      fn(async (sql) => {
        await pglite.exec(sql);
      }),
    async ping() {
      await pglite.query('SELECT 1');
    },
    backup: (outFile) => dumpPglite(pglite, outFile),
    poolStats: () => null,
    async close() {
      await prisma.$disconnect();
      await pglite.close();
      await unlock();
    },
  };
}
