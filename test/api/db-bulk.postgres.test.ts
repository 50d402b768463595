/**
 * PostgreSQL's bulk transactions (api/db.ts) apply their time limit to each statement: one over it
 * is cancelled (SQLSTATE 57014), the transaction rolls back, and the pool connection stays usable.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../helpers/db.ts';

let testDb: TestDb;
beforeAll(async () => {
  testDb = await createTestDb();
});
afterAll(() => testDb.destroy());

it('cancels a statement over the time limit and keeps the connection usable', async () => {
  const bulk = testDb.db.bulkTransaction!;
  await expect(bulk(100, (query) => query('SELECT pg_sleep(2)', []))).rejects.toMatchObject({
    code: '57014',
  });
  for (let i = 0; i < 12; i++)
    expect(await bulk(100, (query) => query<{ ok: boolean }>('SELECT true AS ok', []))).toEqual([
      { ok: true },
    ]);
  expect(testDb.db.poolStats()).toMatchObject({ waiting: 0 });
});
