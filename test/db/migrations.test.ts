/**
 * Guards the migration history: replaying prisma/migrations must give exactly prisma/schema.prisma.
 * It fails when someone edits the schema without `npm run db:migration -- <name>` (or edits a migration).
 *
 * Runs `prisma migrate diff --from-migrations … --to-schema … --exit-code` through the wrapper and its
 * Wasm engine shim against the local PostgreSQL (FLOTILLA_TEST_DATABASE_URL overrides the server), with
 * a shadow database of its own, unique per run and dropped afterwards. PostgreSQL only: test/db/ belongs
 * to the `postgres` project alone (test/vitest.config.ts).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
const serverUrl = process.env.FLOTILLA_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const shadowName = `flotilla_test_shadow_${randomBytes(6).toString('hex')}`;

/** `url` with its database name replaced. */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Runs one statement on the server's maintenance database. */
async function admin<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

describe('prisma/migrations', () => {
  beforeAll(async () => {
    await admin(`CREATE DATABASE ${shadowName}`);
  });

  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${shadowName} WITH (FORCE)`);
    expect(await admin('SELECT 1 FROM pg_database WHERE datname = $1', [shadowName])).toEqual([]);
  });

  it('replays to exactly prisma/schema.prisma (no schema change without a migration)', () => {
    const args = [
      'migrate',
      'diff',
      '--from-migrations',
      'prisma/migrations',
      '--to-schema',
      'prisma/schema.prisma',
    ];
    const res = spawnSync(process.execPath, ['prisma/tools/prisma.mjs', ...args, '--exit-code'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        ...process.env,
        // The diff only needs the shadow database; the main one may not exist (the shim copes).
        DATABASE_URL: withDatabase(serverUrl, 'flotilla_dev'),
        SHADOW_DATABASE_URL: withDatabase(serverUrl, shadowName),
      },
    });
    const hint = `exit ${res.status}: schema.prisma and prisma/migrations differ; run \`npm run db:migration -- <name>\`\n${res.stdout}\n${res.stderr}`;
    expect(res.error).toBeUndefined();
    expect(res.status, hint).toBe(0);
    expect(res.stdout).toContain('No difference detected');
  }, 120_000);
});
