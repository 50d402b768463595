/**
 * Bulk transactions (the telemetry flush's): on PostgreSQL straight on a pool connection, on
 * PGlite through Prisma. Both commit together, roll back together, hand back the same JS types, are
 * seen by query listeners, and stay usable after a failed transaction (the time limit on
 * PostgreSQL: db-bulk.postgres.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkTransactionOf, type BulkTransaction } from '../../api/fleet/transaction.ts';
import { createTestDb, testBackend, type TestDb } from '../helpers/db.ts';

let testDb: TestDb;
let bulk: BulkTransaction;

beforeAll(async () => {
  testDb = await createTestDb();
  bulk = bulkTransactionOf(testDb.db);
  await testDb.db.prisma.$executeRawUnsafe(
    'CREATE TABLE bulk_probe (id int PRIMARY KEY, at timestamptz NOT NULL, v float8[], doc jsonb)',
  );
});
afterAll(() => testDb.destroy());

const count = async () =>
  Number(
    (await testDb.db.prisma.$queryRawUnsafe<{ n: bigint }[]>('SELECT count(*) AS n FROM bulk_probe'))[0].n,
  );

const INSERT = `INSERT INTO bulk_probe (id, at, v, doc)
  SELECT id, at, v::float8[], doc
  FROM unnest($1::int[], $2::timestamptz[], $3::text[], $4::jsonb[]) AS x(id, at, v, doc)`;

describe(`bulk transactions (${testBackend()})`, () => {
  it('commits every statement and reads back dates, float arrays, integers and JSON as Prisma would', async () => {
    const seen: string[] = [];
    const stop = testDb.db.onQuery((sql) => seen.push(sql));
    try {
      const rows = await bulk(async (query) => {
        await query(INSERT, [
          '{1,2}',
          '{2026-12-08T01:00:00.000Z,2026-12-08T01:00:01.000Z}',
          '{"{1.5,NaN,3}","{}"}',
          ['{"a":1}', null],
        ]);
        return query<{ id: number; at: Date; v: number[]; doc: unknown }>(
          'SELECT id, at, v::float8[] AS v, doc FROM bulk_probe WHERE id = ANY($1::int[]) ORDER BY id',
          [[1, 2]],
        );
      });
      expect(rows).toEqual([
        { id: 1, at: new Date('2026-12-08T01:00:00.000Z'), v: [1.5, NaN, 3], doc: { a: 1 } },
        { id: 2, at: new Date('2026-12-08T01:00:01.000Z'), v: [], doc: null },
      ]);
    } finally {
      stop();
    }
    expect(seen.some((sql) => sql.includes('INSERT INTO bulk_probe'))).toBe(true);
    expect(await count()).toBe(2);
  });

  it('writes nothing when the work or one of its statements fails, and stays usable', async () => {
    const before = await count();
    await expect(
      bulk(async (query) => {
        await query(INSERT, ['{10}', '{2026-12-08T02:00:00Z}', '{"{1}"}', [null]]);
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    await expect(
      bulk(async (query) => {
        await query(INSERT, ['{11}', '{2026-12-08T02:00:00Z}', '{"{1}"}', [null]]);
        await query(INSERT, ['{1}', '{2026-12-08T02:00:00Z}', '{"{1}"}', [null]]);
      }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/duplicate key|unique/i) });
    expect(await count()).toBe(before);
    for (let i = 0; i < 12; i++) await bulk((query) => query('SELECT 1', []));
    expect(await bulk((query) => query<{ one: number }>('SELECT 1 AS one', []))).toEqual([{ one: 1 }]);
  });
});
