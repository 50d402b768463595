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

const builtAt = newest(built);
const changedAt = Math.max(...sources.map((source) => newest(path.join(root, source))));
if (builtAt > 0 && builtAt >= changedAt) process.exit(0);

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
