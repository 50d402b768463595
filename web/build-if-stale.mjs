/**
 * `npm start`'s prestart: build the dashboard (codegen, then vite build) when web/dist is missing
 * or older than anything it is built from, so a fresh clone's `npm start` serves a working
 * dashboard and an unchanged tree starts at once. Exits non-zero when the build fails.
 * `--no-codegen` leaves codegen out (the caller ran it).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const built = path.join(root, 'web/dist/index.html');
const sources = [
  'web/src',
  'web/index.html',
  'web/vite.config.ts',
  'web/graphql-documents-plugin.ts',
  'codegen/schema.graphql',
  'package-lock.json',
];

/** Newest modification time (ms) of a file or of every file below a folder; 0 when absent. */
function newest(target) {
  let stat;
  try {
    stat = fs.statSync(target);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs
    .readdirSync(target)
    .reduce((latest, name) => Math.max(latest, newest(path.join(target, name))), stat.mtimeMs);
}

/** True when web/dist is at least as new as everything it is built from. */
function fresh() {
  const builtAt = newest(built);
  return builtAt > 0 && builtAt >= Math.max(...sources.map((source) => newest(path.join(root, source))));
}

// Several test workers may ask at once: one builds, the others wait for its lock and then find the
// build fresh. The lock holds its builder's pid; a lock whose builder is gone (killed), or older
// than LOCK_STALE_MS, is taken over. While a build runs, web/dist is being rewritten (index.html may
// already be there, its chunks not yet), so it counts as fresh only when no build is running.
const lock = path.join(root, 'web/.build-lock');
const LOCK_STALE_MS = 5 * 60_000;

/** True while a live build holds the lock. */
function building() {
  let pid;
  try {
    pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
  } catch {
    // No lock, or one just made whose pid is not written yet: young means live.
    return fs.existsSync(lock) && Date.now() - newest(lock) < 1000;
  }
  if (Date.now() - newest(lock) > LOCK_STALE_MS) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

if (fresh() && !building()) process.exit(0);

const pause = new Int32Array(new SharedArrayBuffer(4));
for (;;) {
  try {
    fs.mkdirSync(lock);
    fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
    break;
  } catch {
    if (!building()) fs.rmSync(lock, { recursive: true, force: true });
    else Atomics.wait(pause, 0, 0, 200);
  }
}
process.on('exit', () => fs.rmSync(lock, { recursive: true, force: true }));
if (fresh()) process.exit(0);
const builtAt = newest(built);

console.warn(
  builtAt ? 'dashboard sources changed: rebuilding web/dist' : 'no dashboard build yet: building web/dist',
);
// --no-codegen: the caller has just run codegen (npm test, while Vitest imports its output).
const steps = [
  ...(process.argv.includes('--no-codegen') ? [] : [['run', '--silent', 'codegen']]),
  ['run', '--silent', 'build:web', '--', '--logLevel', 'warn'],
];
// Always the production build: called from inside Vitest (a browser test finding web/dist stale),
// NODE_ENV is `test`, and Vite would keep Vue's development code in a bundle npm start then serves
// (the agents page measured 1,159,296 bytes of JavaScript that way against 1,032,305).
const env = { ...process.env, NODE_ENV: 'production' };
for (const args of steps) {
  const run = spawnSync('npm', args, { cwd: root, stdio: 'inherit', shell: false, env });
  if (run.status !== 0) {
    console.error(`npm ${args.join(' ')} failed: the dashboard was not built`);
    process.exit(run.status ?? 1);
  }
}
