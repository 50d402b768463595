/**
 * `npm test`: Vitest and the static checks (ESLint, Prettier, tsc, vue-tsc) side by side. Most of a
 * test file's time is spent waiting on servers, databases and browsers, so the checks run in those
 * gaps at a lower priority (nice 10) instead of before the suite; their output is printed after
 * Vitest's, and the exit code is non-zero when either part failed. First, beside ESLint and Prettier,
 * codegen: the type-checks and the dashboard's unit files import its output. The dashboard build
 * (web/build-if-stale.mjs) then runs beside Vitest; the browser files wait for it on its lock.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';

// Each check keeps what it learnt about unchanged files (ESLint's and Prettier's caches, tsc's build
// info), so a second local run re-checks only changed files. A clean clone (CI) starts empty: there
// the caches cost nothing and save nothing. Named by the checkout, as node_modules may be shared.
const root = path.resolve(import.meta.dirname, '..');
const CACHE = `node_modules/.cache/flotilla-checks-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`;
const SOURCE_CHECKS = [
  [
    'eslint',
    'node_modules/.bin/eslint',
    '-c',
    '.eslint.config.js',
    '--cache',
    '--cache-location',
    `${CACHE}/eslint/`,
    '.',
  ],
  [
    'prettier',
    'node_modules/.bin/prettier',
    '--check',
    '--cache',
    '--cache-location',
    `${CACHE}/prettier`,
    '.',
  ],
];
/**
 * Need codegen's output. The server, agent and tests are checked by TypeScript 7's native compiler
 * (package typescript-native), single-threaded: a quarter of TypeScript 6's CPU on the same program
 * (measured). The dashboard stays on vue-tsc, which needs TypeScript 6's JavaScript API.
 */
const TYPE_CHECKS = [
  [
    'tsc',
    'node_modules/typescript-native/bin/tsc',
    '-p',
    'tsconfig.json',
    '--singleThreaded',
    '--incremental',
    '--tsBuildInfoFile',
    `${CACHE}/tsc.tsbuildinfo`,
  ],
  [
    'vue-tsc',
    'node_modules/.bin/vue-tsc',
    '-p',
    'web/tsconfig.json',
    '--incremental',
    '--tsBuildInfoFile',
    `${CACHE}/vue-tsc.tsbuildinfo`,
  ],
];

/** Run a command; resolves its exit code and, when captured, its output. */
function run(args, { capture = false, nice = false } = {}) {
  const command = nice ? ['nice', '-n', '10', ...args] : args;
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), {
      stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    let output = '';
    if (capture) {
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
    }
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

/** Run `checks` ([name, command…]) one after another; resolves each one's name, exit code, output and duration. */
async function runChecks(checks) {
  const results = [];
  for (const [name, ...command] of checks) {
    const started = Date.now();
    const { code, output } = await run(command, { capture: true, nice: true });
    results.push({ name, code, output, seconds: (Date.now() - started) / 1000 });
  }
  return results;
}

const sourceChecks = runChecks(SOURCE_CHECKS);
const codegen = await run(['npm', 'run', '--silent', 'codegen']);
const generated = codegen.code === 0;
// The dashboard build runs beside Vitest (its output printed only when it fails), without a second
// codegen: the browser files, the only ones that need web/dist, wait for it on its lock.
const build = generated
  ? run(['node', 'web/build-if-stale.mjs', '--no-codegen'], { capture: true })
  : Promise.resolve(codegen);
const vitest = generated
  ? run(['node_modules/.bin/vitest', 'run', '--config', 'test/vitest.config.ts', ...process.argv.slice(2)])
  : Promise.resolve({ code: 1 });
const typeChecks = generated ? sourceChecks.then(() => runChecks(TYPE_CHECKS)) : Promise.resolve([]);
const results = await Promise.all([vitest, sourceChecks, typeChecks, build]);
const checks = [...results[1], ...results[2]];
const built = results[3];

process.stdout.write('\n Static checks\n');
for (const check of checks) {
  process.stdout.write(`  ${check.code === 0 ? '✓' : '×'} ${check.name} (${check.seconds.toFixed(1)} s)\n`);
  if (check.code !== 0) process.stdout.write(check.output);
}
if (!generated) process.stdout.write('  × codegen failed (output above)\n');
else if (built.code !== 0) process.stdout.write(`  × the dashboard build failed\n${built.output}`);
process.exitCode = results[0].code !== 0 || built.code !== 0 || checks.some((c) => c.code !== 0) ? 1 : 0;
