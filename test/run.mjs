/**
 * `npm test`: Vitest and the static checks (ESLint, Prettier, tsc, vue-tsc) side by side. Most of a
 * test file's time is spent waiting on servers, databases and browsers, so the checks run in those
 * gaps at a lower priority (nice 10) instead of before the suite; their output is printed after
 * Vitest's, and the exit code is non-zero when either part failed. Run after `npm run codegen`.
 */
import { spawn } from 'node:child_process';

const STATIC_CHECKS = [
  ['eslint', '-c', '.eslint.config.js', '.'],
  ['prettier', '--check', '.'],
  ['tsc', '-p', 'tsconfig.json'],
  ['vue-tsc', '-p', 'web/tsconfig.json'],
];

/** Run one command from node_modules/.bin; resolves its exit code and, when captured, its output. */
function run(args, { capture = false, nice = false } = {}) {
  const command = nice ? ['nice', '-n', '10', 'npx', '--no', ...args] : ['npx', '--no', ...args];
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

async function staticChecks() {
  const results = [];
  for (const check of STATIC_CHECKS) {
    const started = Date.now();
    const { code, output } = await run(check, { capture: true, nice: true });
    results.push({ name: check[0], code, output, seconds: (Date.now() - started) / 1000 });
  }
  return results;
}

const [checks, vitest] = await Promise.all([
  staticChecks(),
  run(['vitest', 'run', '--config', 'test/vitest.config.ts', ...process.argv.slice(2)]),
]);

process.stdout.write('\n Static checks\n');
for (const check of checks) {
  process.stdout.write(`  ${check.code === 0 ? '✓' : '×'} ${check.name} (${check.seconds.toFixed(1)} s)\n`);
  if (check.code !== 0) process.stdout.write(check.output);
}
process.exitCode = vitest.code !== 0 || checks.some((c) => c.code !== 0) ? 1 : 0;
