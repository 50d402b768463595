/**
 * Test projects. Tests that touch the database run twice — once on PGlite, once on the local
 * PostgreSQL (FLOTILLA_TEST_DB) — and every test file gets its own database (helpers/db.ts).
 * Pure units (Vector rendering, the agent, the dashboard's composables) run once.
 */
import path from 'node:path';
import { defineConfig } from 'vitest/config';

const root = path.resolve(import.meta.dirname, '..');
const dbTests = [
  'test/protocol/**/*.test.ts',
  'test/fleet/**/*.test.ts',
  'test/graphql/**/*.test.ts',
  'test/api/**/*.test.ts',
];
/**
 * PostgreSQL only: the Prisma CLI's migration diff, and replica tests (two processes cannot share one
 * PGlite directory). Named *.postgres.test.ts outside test/db/.
 */
const postgresOnlyTests = ['test/db/**/*.test.ts', 'test/**/*.postgres.test.ts'];
const pureTests = ['test/fleet/vector-*.test.ts'];

export default defineConfig({
  resolve: {
    // graphql 16 ships index.mjs (Vite's pick) beside index.js (Node's pick for Pothos and Yoga);
    // two copies break instanceof checks ("from another module or realm"), so use Node's.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    root,
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'pglite',
          include: dbTests,
          exclude: [...pureTests, ...postgresOnlyTests],
          env: { FLOTILLA_TEST_DB: 'pglite' },
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: [...dbTests, ...postgresOnlyTests],
          exclude: pureTests,
          env: { FLOTILLA_TEST_DB: 'postgres' },
        },
      },
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            ...pureTests,
            'test/agent/**/*.test.ts',
            'test/web/**/*.test.ts',
            'test/sim/**/*.test.ts',
            'test/http/**/*.test.ts',
            'test/cli/**/*.test.ts',
            'test/*.test.ts',
          ],
          env: { FLOTILLA_TEST_DB: 'pglite' },
        },
      },
    ],
  },
});
