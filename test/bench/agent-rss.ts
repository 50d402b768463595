/**
 * `npm run bench:agent`: the bundled agent's steady-state memory and CPU. Builds the bundle, starts
 * the real server in this process on a fresh PGlite database, enrols one agent (fake vector running
 * a demo pipeline) with the production intervals (poll 10 s, heartbeat 30 s), lets it settle, then
 * samples RSS and CPU of the agent process every second for BENCH_SECONDS (default 30).
 * Target: RSS <= 60 MB. Never part of npm test.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildAgent } from '../../agent/build.ts';
import { openDb } from '../../api/db.ts';
import { applyMigrations } from '../../api/migrations.ts';
import { startTestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, mintToken } from '../helpers/factories.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 8);
const TARGET_RSS_MB = 60;
const ROOT = path.resolve(import.meta.dirname, '../..');
const FAKE_VECTOR = path.join(ROOT, 'test/helpers/fake-vector/vector');
const CLOCK_TICKS = 100;

const work = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-bench-agent-'));
const bundle = path.join(work, 'flotilla-agent.mjs');
await buildAgent({ outFile: bundle, version: '0.0.0-bench' });
const dataDir = path.join(work, 'db');
const db = await openDb({ kind: 'pglite', dataDir });
await applyMigrations(db);
const server = await startTestServer({
  testDb: { db, config: { kind: 'pglite', dataDir }, destroy: () => db.close() },
});
const group = await createGroupWithPipeline(server.ctx);
const token = await mintToken(server.ctx, group.id);

const flags = [
  `--config-dir=${work}/etc`,
  `--state-dir=${work}/state`,
  `--log-dir=${work}/log`,
  `--install-dir=${work}/opt`,
  `--vector-bin=${FAKE_VECTOR}`,
];
await promisify(execFile)(process.execPath, [
  bundle,
  'enrol',
  `--api-url=${server.baseUrl}`,
  `--token=${token}`,
  ...flags,
]);
const agent = spawn(process.execPath, [bundle, 'run', ...flags], { stdio: ['ignore', 'ignore', 'inherit'] });
const pid = agent.pid as number;

const sample = async () => {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    rssMb: Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024,
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
  };
};
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

try {
  await pause(WARMUP_SECONDS * 1000);
  const row = await server.ctx.db.agent.findFirstOrThrow({ where: { groupId: group.id } });
  const start = await sample();
  const rss: number[] = [];
  for (let i = 0; i < SECONDS; i++) {
    await pause(1000);
    rss.push((await sample()).rssMb);
  }
  const end = await sample();
  const sorted = [...rss].sort((a, b) => a - b);
  const cpuPercent = (100 * (end.cpuSeconds - start.cpuSeconds)) / SECONDS;
  const result = {
    seconds: SECONDS,
    vectorRunning: row.vectorRunning,
    appliedConfigVersion: row.appliedConfigVersion,
    rssMb: {
      min: sorted[0].toFixed(1),
      median: sorted[Math.floor(sorted.length / 2)].toFixed(1),
      max: sorted.at(-1)?.toFixed(1),
    },
    cpuPercent: cpuPercent.toFixed(2),
    cpuSeconds: (end.cpuSeconds - start.cpuSeconds).toFixed(2),
    bundleKb: Math.round((await fs.stat(bundle)).size / 1024),
    node: process.version,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  const max = sorted.at(-1) ?? 0;
  process.stdout.write(
    `steady-state RSS ${max.toFixed(1)} MB (target <= ${TARGET_RSS_MB} MB): ${max <= TARGET_RSS_MB ? 'ok' : 'OVER'}\n`,
  );
} finally {
  agent.kill('SIGTERM');
  await new Promise((resolve) => agent.once('exit', resolve));
  await server.close();
  await fs.rm(work, { recursive: true, force: true });
}
