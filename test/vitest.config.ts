/**
 * Test projects. Every test file gets its own database (helpers/db.ts).
 *
 * Which project runs a file — the rule:
 * - **Both backends** (pglite and postgres) for a file whose outcome can differ between PGlite and
 *   PostgreSQL: it exercises SQL the fleet generates (raw statements, filters, sorting, counts,
 *   batched updates), transactions and concurrency (atomic token uses, conditional updates),
 *   constraint errors, or migrations. Default for test/protocol, test/fleet, test/graphql, test/api.
 * - **Once, in postgres** (`backendAgnosticTests`) for a file that needs a database only to have a
 *   server: transport behaviour (HTTP/WebSocket framing, auth, CSRF, limits, error shapes), the
 *   schema, in-memory paths (held polls, subscription coalescing), and real server processes.
 *   PostgreSQL because its queries run beside the test process instead of inside it (PGlite is
 *   WebAssembly on the test's own thread), which is faster on two cores.
 * - **Only postgres** (`postgresOnlyTests`) for what PGlite cannot do (two processes on one database).
 * - **Unit** (`pureTests` and the folders listed there) for files that need no database, and
 *   end-to-end files (browser, agent, simulator, CLI) that need one only to have a server: on
 *   PostgreSQL, for the reason above.
 * When a backend-agnostic file starts testing SQL behaviour, move it back to both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const root = path.resolve(import.meta.dirname, '..');

/** Room a RAM temp dir needs: the PGlite databases, agent bundles and executables, chromium profiles. */
const RAM_TMP_MIN_BYTES = 4 * 1024 ** 3;
/** statfs(2)'s f_type for tmpfs. */
const TMPFS_MAGIC = 0x01021994;
/**
 * The tests' temporary files go to RAM (Linux's tmpfs at /dev/shm) when it has room and TMPDIR is not
 * set: every PGlite database is a directory of ~1,100 files that PostgreSQL creates, syncs and
 * truncates, and the agent files build and install agents into temp roots. On ext4 the PGlite
 * files took ~10 % more CPU (measured). Set before the workers start, so they and what they spawn
 * inherit it.
 */
function useRamTmpDir(): void {
  if (process.env.TMPDIR) return;
  try {
    const shm = fs.statfsSync('/dev/shm');
    if (shm.type === TMPFS_MAGIC && shm.bavail * shm.bsize >= RAM_TMP_MIN_BYTES)
      process.env.TMPDIR = '/dev/shm';
  } catch {
    // No /dev/shm (not Linux): the OS default stays.
  }
}
useRamTmpDir();

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
const backendAgnosticTests = [
  'test/protocol/errors.test.ts',
  'test/protocol/heartbeat-telemetry.test.ts',
  'test/protocol/long-poll.test.ts',
  'test/protocol/keep-alive.test.ts',
  'test/graphql/auth.test.ts',
  'test/graphql/limits.test.ts',
  'test/graphql/roles.test.ts',
  'test/graphql/schema.test.ts',
  'test/graphql/subscriptions.test.ts',
  'test/graphql/tokens.test.ts',
  'test/api/metrics.test.ts',
  'test/graphql/telemetry.test.ts',
  'test/api/server-process.test.ts',
  'test/api/startup.test.ts',
  'test/api/deploy-files.test.ts',
  'test/api/install-script.test.ts',
  'test/api/pipeline-cli.test.ts',
  'test/api/slow-clients.test.ts',
  'test/graphql/catalogue.test.ts',
  'test/graphql/http-hardening.test.ts',
  'test/graphql/ws-credentials.test.ts',
  'test/graphql/ws-limits.test.ts',
  'test/protocol/proxy-rate-limit.test.ts',
];
/**
 * Unit files that install globals (a `@vitest-environment` DOM, fake timers) run isolated in the
 * `dom` project; found by content so a new such file cannot leak into the shared-module workers.
 */
const domTests = fs
  .readdirSync(path.join(root, 'test'), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.test.ts'))
  .map((file) => `test/${file.split(path.sep).join('/')}`)
  .filter((file) => /@vitest-environment|useFakeTimers/.test(fs.readFileSync(path.join(root, file), 'utf8')));
const pureTests = [
  'test/fleet/vector-*.test.ts',
  'test/fleet/agent-query-parse.test.ts',
  'test/fleet/telemetry-rates.test.ts',
  'test/protocol/reference.test.ts',
  'test/protocol/telemetry-parse.test.ts',
  'test/api/request-histogram.test.ts',
  'test/graphql/live.test.ts',
  'test/graphql/shared-subscriptions.test.ts',
  'test/graphql/shared-payloads.test.ts',
  'test/fuzz/assert-fuzz.test.ts',
];

/** The projects in the order their files start (names as in the config below). */
const PROJECT_ORDER = ['unit', 'postgres', 'pglite', 'dom'];

/**
 * Longest files first, as a scheduler packs jobs: the unit project's end-to-end files (agents,
 * browsers, simulated fleets; 10–50 s each, much of it waiting on processes) start while there is
 * still work to overlap them, and the run ends on the database projects' short files (mostly under
 * 3 s) instead of a few long ones on a half-idle machine. Vitest's own order runs the projects one
 * after another by name (unit last); they stay one after another, as a worker serves one project and
 * mixing projects' files made the pool restart workers (about 12 % more CPU in one run). Within a
 * project Vitest's order stays (the last run's durations, on a clean clone file sizes).
 */
class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => PROJECT_ORDER.indexOf(file.project.name);
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

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
    sequence: { sequencer: LongFilesFirst },
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default on two cores is one worker: files ran one after another although most of a
    // file's time is spent waiting (servers, databases, timers). Two workers measured 20 % faster.
    maxWorkers: 3,
    projects: [
      {
        extends: true,
        test: {
          name: 'pglite',
          include: dbTests,
          // Database files share nothing through modules (each builds its own server and database),
          // so a worker keeps its imports (Prisma, the schema) from one file to the next: 40 % faster.
          isolate: false,
          exclude: [...pureTests, ...postgresOnlyTests, ...backendAgnosticTests],
          env: { FLOTILLA_TEST_DB: 'pglite' },
          // The browser tests build the dashboard and start chromium in beforeAll: minutes on a busy machine.
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: [...dbTests, ...postgresOnlyTests, 'test/fuzz/**/*.test.ts'],
          isolate: false,
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
          exclude: domTests,
          // Like the database projects: a worker keeps its imports from one file to the next (measured
          // 30–45 % less CPU on the unit files). Files that change globals run in the `dom` project.
          isolate: false,
          // The files here that need a server (browser, agent end-to-end, simulator, CLI) do not
          // depend on the backend, so, like backendAgnosticTests, they use PostgreSQL: PGlite would
          // run every dashboard and agent query as WebAssembly in the test's own process.
          env: { FLOTILLA_TEST_DB: 'postgres' },
          // The browser tests build the dashboard and start chromium in beforeAll: minutes on a busy machine.
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          // Files on happy-dom (a DOM in globals) or fake timers: each in a fresh module graph.
          name: 'dom',
          include: domTests,
        },
      },
    ],
  },
});
