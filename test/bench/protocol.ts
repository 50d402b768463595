/**
 * Agent-protocol throughput against a bare node:http baseline measured in the same run, on
 * PostgreSQL and PGlite: the 204 poll (target ≥ 60 % of bare GET), the heartbeat (target ≥ 50 %
 * of a bare JSON POST), the heartbeat with a typical telemetry payload (a simulated agent's ten
 * components and host metrics, about 3 KB) against a bare POST of the same body, plus memory per
 * held long-poll. Server and baseline run pinned to one core,
 * wrk to the other (lib.ts), in interleaved rounds (baseline GET, poll, baseline POST, heartbeat),
 * so a change in the machine's load hits both sides of a ratio alike; the ratio is reported per
 * round, as a median and a spread. Run by `npm run bench`.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setMaxListeners } from 'node:events';
import pg from 'pg';
import { Capability, headers, paths } from '../../api/protocol/v1.ts';
import { SimTelemetry } from '../../agent/sim/telemetry.ts';
import { ROOT, cli, rssBytes, startFlotilla, wrk, type WrkResult } from './lib.ts';

const AGENTS = 2000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** One held poll per agent (a second poll of the same agent replaces the first). */
const HELD_POLLS = AGENTS;
const ADMIN_URL = process.env.FLOTILLA_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const AGENTS_LUA = path.join(ROOT, 'test/bench/wrk/agents.lua');

/** One interleaved round: each side of both ratios, measured back to back. */
export interface ProtocolRound {
  bareGet: WrkResult;
  poll: WrkResult;
  barePost: WrkResult;
  heartbeat: WrkResult;
  /** A bare POST of the heartbeat with telemetry, and Flotilla answering it. */
  bareTelemetry: WrkResult;
  telemetry: WrkResult;
}

/** A ratio over the rounds: the median and the lowest and highest round. */
export interface RatioSpread {
  median: number;
  min: number;
  max: number;
}

export interface ProtocolResult {
  backend: 'postgres' | 'pglite';
  rounds: ProtocolRound[];
  pollVsBare: RatioSpread;
  heartbeatVsBare: RatioSpread;
  telemetryVsBare: RatioSpread;
  /** Bytes of the heartbeat with telemetry. */
  telemetryBodyBytes: number;
  bytesPerHeldPoll: number;
}

/** Median, min and max of `values`. */
export function spread(values: number[]): RatioSpread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** A fresh database for `backend`: its server environment, and how to drop it. */
export async function prepareBackend(
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

/** Enrol AGENTS agents (or `count`) over HTTP and write them to `file` for agents.lua. */
export async function enrolAgents(
  base: string,
  token: string,
  file: string,
  count = AGENTS,
): Promise<{ id: string; token: string; version: number }[]> {
  const agents: { id: string; token: string; version: number }[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async (_, j) => {
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
  const sha = await runningConfigSha256(base, agents[0]);
  await fs.writeFile(file, agents.map((a) => `${a.id} ${a.token} ${a.version} ${sha}`).join('\n') + '\n');
  return agents;
}

/**
 * What an agent that applied the group's version reports as `runningConfigSha256` (the etag of
 * that version's config, which every enrolled agent shares here); `-` when there is none (version 0).
 */
async function runningConfigSha256(base: string, agent: { id: string; token: string }): Promise<string> {
  const res = await fetch(`${base}${paths.config(agent.id)}?since=0`, {
    headers: { authorization: `Bearer ${agent.token}` },
  });
  await res.arrayBuffer();
  const etag = res.headers.get(headers.configEtag);
  return res.status === 200 && etag?.startsWith('sha256:') ? etag.slice('sha256:'.length) : '-';
}

/**
 * Write the heartbeat with telemetry that agents.lua and baseline.lua send (MODE=telemetry): a
 * simulated agent's sample an hour after Vector started, `%s` where the applied version goes and
 * a second `%s` where the running config's hash goes (the `"runningConfigSha256":"…",` field, or nothing).
 * Resolves its size in bytes. The same body every time: the server records zero increases.
 */
export async function writeTelemetryBody(file: string): Promise<number> {
  const now = Date.now();
  const telemetry = new SimTelemetry(0, now - 3_600_000, () => 0.5).sample(now);
  const json = JSON.stringify({
    agentVersion: '0.1.0',
    vectorVersion: '0.58.0',
    appliedConfigVersion: 0,
    vectorRunning: true,
    vectorUptimeSeconds: 3600,
    configError: null,
    telemetry,
    runningConfigSha256: 'SHA',
    capabilities: [Capability.tokenRotation],
  });
  if (json.includes('%')) throw new Error('the telemetry body must hold no % (a Lua format string)');
  const template = json
    .replace('"appliedConfigVersion":0', '"appliedConfigVersion":%s')
    .replace('"runningConfigSha256":"SHA",', '%s');
  await fs.writeFile(file, template);
  return Buffer.byteLength(json);
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

/** Run the protocol benchmark for one backend, interleaved with the bare baseline at `bareUrl`. */
export async function benchBackend(backend: 'postgres' | 'pglite', bareUrl: string): Promise<ProtocolResult> {
  const db = await prepareBackend(backend);
  const agentsFile = path.join(os.tmpdir(), `flotilla-bench-agents-${process.pid}.txt`);
  const telemetryFile = path.join(os.tmpdir(), `flotilla-bench-telemetry-${process.pid}.json`);
  try {
    const telemetryBodyBytes = await writeTelemetryBody(telemetryFile);
    await cli(['group', 'create', '--slug', 'bench', '--name', 'Bench'], db.env);
    const token = await cli(
      ['token', 'mint', '--group', 'bench', '--max-uses', String(AGENTS), '--ttl', '1h'],
      db.env,
    );
    const server = await startFlotilla({ ...db.env, FLOTILLA_ENROL_RATE_LIMIT: '1000000' });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const agents = await enrolAgents(base, token, agentsFile);
      const env = { AGENTS_FILE: agentsFile, TELEMETRY_BODY_FILE: telemetryFile };
      const bare = path.join(ROOT, 'test/bench/wrk/baseline.lua');
      // Warm-up (JIT, caches, connections) on both sides.
      await wrk(bareUrl, bare, { MODE: 'poll' }, 2);
      await wrk(base, AGENTS_LUA, { ...env, MODE: 'poll' }, 2);
      await wrk(base, AGENTS_LUA, { ...env, MODE: 'heartbeat' }, 2);
      await wrk(base, AGENTS_LUA, { ...env, MODE: 'telemetry' }, 2);
      const rounds: ProtocolRound[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const bareGet = await wrk(bareUrl, bare, { MODE: 'poll' }, SECONDS);
        const poll = await wrk(base, AGENTS_LUA, { ...env, MODE: 'poll' }, SECONDS);
        const barePost = await wrk(bareUrl, bare, { MODE: 'heartbeat' }, SECONDS);
        const heartbeat = await wrk(base, AGENTS_LUA, { ...env, MODE: 'heartbeat' }, SECONDS);
        const bareTelemetry = await wrk(bareUrl, bare, { ...env, MODE: 'telemetry' }, SECONDS);
        const telemetry = await wrk(base, AGENTS_LUA, { ...env, MODE: 'telemetry' }, SECONDS);
        rounds.push({ bareGet, poll, barePost, heartbeat, bareTelemetry, telemetry });
        process.stderr.write(
          `${backend} round ${i + 1}: poll ${ratio(poll, bareGet)} %, heartbeat ${ratio(heartbeat, barePost)} %, ` +
            `with telemetry ${ratio(telemetry, bareTelemetry)} %\n`,
        );
      }
      await server.stop();
      // A fresh process, so the heap grown by the load above does not hide the held polls' cost.
      const fresh = await startFlotilla(db.env);
      try {
        const freshBase = `http://127.0.0.1:${fresh.port}`;
        const bytesPerHeldPoll = await measureHeldPolls(freshBase, fresh.child.pid!, agents);
        return {
          backend,
          rounds,
          pollVsBare: spread(rounds.map((r) => ratio(r.poll, r.bareGet))),
          heartbeatVsBare: spread(rounds.map((r) => ratio(r.heartbeat, r.barePost))),
          telemetryVsBare: spread(rounds.map((r) => ratio(r.telemetry, r.bareTelemetry))),
          telemetryBodyBytes,
          bytesPerHeldPoll,
        };
      } finally {
        await fresh.stop();
      }
    } finally {
      await server.stop();
    }
  } finally {
    await fs.rm(agentsFile, { force: true });
    await fs.rm(telemetryFile, { force: true });
    await db.drop();
  }
}

/** `a` as a percentage of `b` (requests per second), one decimal. */
export function ratio(a: WrkResult, b: WrkResult): number {
  return Math.round((1000 * a.requestsPerSecond) / b.requestsPerSecond) / 10;
}
