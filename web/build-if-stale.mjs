/**
 * `npm start`'s prestart: build the dashboard (codegen, then vite build) when web/dist is missing
 * or older than anything it is built from, so a fresh clone's `npm start` serves a working
 * dashboard and an unchanged tree starts at once. Exits non-zero when the build fails.
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

if (fresh()) process.exit(0);

// Several test workers may ask at once: one builds, the others wait for its lock and then find the
// build fresh. A lock older than LOCK_STALE_MS is left by a killed build and is taken over.
const lock = path.join(root, 'web/.build-lock');
const LOCK_STALE_MS = 5 * 60_000;
const pause = new Int32Array(new SharedArrayBuffer(4));
for (;;) {
  try {
    fs.mkdirSync(lock);
    break;
  } catch {
    if (Date.now() - newest(lock) > LOCK_STALE_MS) fs.rmSync(lock, { recursive: true, force: true });
    else Atomics.wait(pause, 0, 0, 200);
  }
}
process.on('exit', () => fs.rmSync(lock, { recursive: true, force: true }));
if (fresh()) process.exit(0);
const builtAt = newest(built);

console.warn(
  builtAt ? 'dashboard sources changed: rebuilding web/dist' : 'no dashboard build yet: building web/dist',
);
const steps = [
  ['run', '--silent', 'codegen'],
  ['run', '--silent', 'build:web', '--', '--logLevel', 'warn'],
];
for (const args of steps) {
  const run = spawnSync('npm', args, { cwd: root, stdio: 'inherit', shell: false });
  if (run.status !== 0) {
    console.error(`npm ${args.join(' ')} failed: the dashboard was not built`);
    process.exit(run.status ?? 1);
  }
}
