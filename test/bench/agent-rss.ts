/**
 * `npm run bench:agent`: the bundled agent's steady-state memory and CPU. Builds the bundle, starts
 * the real server in this process on a fresh PGlite database, enrols one agent (fake vector running
 * a demo pipeline) with the production intervals (poll 10 s, heartbeat 30 s), waits until the server
 * sees Vector running the applied config, lets it settle, then samples RSS and CPU of the agent
 * process every second for BENCH_SECONDS (default 30). Target (issue 17): RSS <= 45 MB; bare Node
 * idles at ~41 MB here and Node merely loading the builtins the agent uses (http client,
 * child_process, crypto) at ~46 MB. Never part of npm test. BENCH_AGENT_FORM=executable measures
 * the single executable (test/agent/agent-executable.ts, built once and reused) instead of the bundle.
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
import { agentCommand, agentExecutable } from '../agent/agent-executable.ts';
import { createGroupWithPipeline, mintToken } from '../helpers/factories.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 8);
const TARGET_RSS_MB = 45;
const APPLY_TIMEOUT_MS = 120_000;
const ROOT = path.resolve(import.meta.dirname, '../..');
const FAKE_VECTOR = path.join(ROOT, 'test/helpers/fake-vector/vector');
const CLOCK_TICKS = 100;

const work = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-bench-agent-'));
const bundle = path.join(work, 'flotilla-agent.mjs');
await buildAgent({ outFile: bundle, version: '0.0.0-bench' });
const form = process.env.BENCH_AGENT_FORM === 'executable' ? 'executable' : 'bundle';
const [command, ...entry] = agentCommand(
  form === 'executable' ? await agentExecutable('0.0.0-bench') : bundle,
);
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
await promisify(execFile)(command, [
  ...entry,
  'enrol',
  `--api-url=${server.baseUrl}`,
  `--token=${token}`,
  ...flags,
]);
const agent = spawn(command, [...entry, 'run', ...flags], { stdio: ['ignore', 'ignore', 'inherit'] });
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
  const applied = Date.now() + APPLY_TIMEOUT_MS;
  const running = () =>
    server.ctx.db.agent.findFirst({
      where: { groupId: group.id, vectorRunning: true, appliedConfigVersion: group.configVersion },
    });
  while (!(await running())) {
    if (Date.now() > applied) throw new Error('the agent never ran the applied config');
    await pause(500);
  }
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
    form,
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
