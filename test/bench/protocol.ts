/**
 * Agent-protocol throughput against a bare node:http baseline measured in the same run, on
 * PostgreSQL and PGlite: the 204 poll (target ≥ 60 % of bare GET) and the heartbeat (target ≥ 35 %
 * of a bare JSON POST), plus memory per held long-poll. Run by `npm run bench`.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setMaxListeners } from 'node:events';
import pg from 'pg';
import { paths } from '../../api/protocol/v1.ts';
import { ROOT, cli, rssBytes, startBaseline, startFlotilla, wrk, type WrkResult } from './lib.ts';

const AGENTS = 2000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** One held poll per agent (a second poll of the same agent replaces the first). */
const HELD_POLLS = AGENTS;
const ADMIN_URL = process.env.FLOTILLA_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const AGENTS_LUA = path.join(ROOT, 'test/bench/wrk/agents.lua');

export interface ProtocolResult {
  backend: 'postgres' | 'pglite';
  poll: WrkResult;
  heartbeat: WrkResult;
  bytesPerHeldPoll: number;
}

async function prepareBackend(
  backend: 'postgres' | 'pglite',
): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (backend === 'pglite') {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-bench-'));
    return { env: { FLOTILLA_DATA_DIR: dir }, drop: () => fs.rm(dir, { recursive: true, force: true }) };
  }
  const name = `flotilla_bench_${process.pid}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    await c.query(sql);
    await c.end();
  };
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function enrolAgents(
  base: string,
  token: string,
  file: string,
): Promise<{ id: string; token: string; version: number }[]> {
  const agents: { id: string; token: string; version: number }[] = [];
  for (let i = 0; i < AGENTS; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, AGENTS - i) }, async (_, j) => {
        const res = await fetch(base + paths.enrol, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            bootstrapToken: token,
            hostname: `bench-${i + j}`,
            platform: 'linux',
            os: 'Debian 12',
            kernel: '6.1',
            agentVersion: '0.1.0',
            vectorVersion: '0.58.0',
          }),
        });
        if (res.status !== 201) throw new Error(`enrol failed: ${res.status} ${await res.text()}`);
        const { data } = (await res.json()) as {
          data: { agentId: string; agentToken: string; configVersion: number };
        };
        return { id: data.agentId, token: data.agentToken, version: data.configVersion };
      }),
    );
    agents.push(...batch);
  }
  await fs.writeFile(file, agents.map((a) => `${a.id} ${a.token} ${a.version}`).join('\n') + '\n');
  return agents;
}

/** Hold HELD_POLLS long-polls open and report the server's RSS growth per held request. */
async function measureHeldPolls(
  base: string,
  pid: number,
  agents: { id: string; token: string; version: number }[],
): Promise<number> {
  const poll = (a: (typeof agents)[number], wait = '') =>
    fetch(`${base}${paths.config(a.id)}?since=${a.version}${wait}`, {
      headers: { authorization: `Bearer ${a.token}` },
    });
  for (let i = 0; i < agents.length; i += 100)
    await Promise.all(agents.slice(i, i + 100).map((a) => poll(a)));
  const before = await rssBytes(pid);
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const held = Array.from({ length: HELD_POLLS }, (_, i) => {
    const a = agents[i % agents.length];
    return fetch(`${base}${paths.config(a.id)}?since=${a.version}&wait=60`, {
      headers: { authorization: `Bearer ${a.token}` },
      signal: controller.signal,
    }).catch(() => undefined);
  });
  let during = before;
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 500));
    during = Math.max(during, await rssBytes(pid));
  }
  controller.abort();
  await Promise.all(held);
  return Math.round((during - before) / HELD_POLLS);
}

/** Run the protocol benchmark for one backend. */
export async function benchBackend(backend: 'postgres' | 'pglite'): Promise<ProtocolResult> {
  const db = await prepareBackend(backend);
  const agentsFile = path.join(os.tmpdir(), `flotilla-bench-agents-${process.pid}.txt`);
  try {
    await cli(['group', 'create', '--slug', 'bench', '--name', 'Bench'], db.env);
    const token = await cli(
      ['token', 'mint', '--group', 'bench', '--max-uses', String(AGENTS), '--ttl', '1h'],
      db.env,
    );
    const server = await startFlotilla({ ...db.env, FLOTILLA_ENROL_RATE_LIMIT: '1000000' });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const agents = await enrolAgents(base, token, agentsFile);
      const env = { AGENTS_FILE: agentsFile };
      await wrk(base, AGENTS_LUA, { ...env, MODE: 'poll' }, 2);
      const poll = await wrk(base, AGENTS_LUA, { ...env, MODE: 'poll' }, SECONDS);
      await wrk(base, AGENTS_LUA, { ...env, MODE: 'heartbeat' }, 2);
      const heartbeat = await wrk(base, AGENTS_LUA, { ...env, MODE: 'heartbeat' }, SECONDS);
      await server.stop();
      // A fresh process, so the heap grown by the load above does not hide the held polls' cost.
      const fresh = await startFlotilla(db.env);
      try {
        const freshBase = `http://127.0.0.1:${fresh.port}`;
        const bytesPerHeldPoll = await measureHeldPolls(freshBase, fresh.child.pid!, agents);
        return { backend, poll, heartbeat, bytesPerHeldPoll };
      } finally {
        await fresh.stop();
      }
    } finally {
      await server.stop();
    }
  } finally {
    await fs.rm(agentsFile, { force: true });
    await db.drop();
  }
}

/** The bare baseline: GET 204 and a heartbeat-sized JSON POST. */
export async function benchBaseline(): Promise<{ get: WrkResult; post: WrkResult }> {
  const server = await startBaseline();
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const script = path.join(ROOT, 'test/bench/wrk/baseline.lua');
    await wrk(base, script, { MODE: 'poll' }, 2);
    const get = await wrk(base, script, { MODE: 'poll' }, SECONDS);
    const post = await wrk(base, script, { MODE: 'heartbeat' }, SECONDS);
    return { get, post };
  } finally {
    await server.stop();
  }
}
