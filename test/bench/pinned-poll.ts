/**
 * The cost of per-agent desired versions on the 204 poll: agents pinned by a rollout (each pin
 * equal to the version the agent has, so the answer stays 204) against unpinned agents of the same
 * group, on one PostgreSQL server process, in interleaved wrk rounds (unpinned, pinned). The pins
 * are written before the server starts, so its directory holds them in memory as in production;
 * the poll must stay off the database either way. Run by `npm run bench`.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ROOT, cli, startFlotilla, wrk, type WrkResult } from './lib.ts';
import { enrolAgents, prepareBackend, ratio, spread, type RatioSpread } from './protocol.ts';

const AGENTS = 1000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const AGENTS_LUA = path.join(ROOT, 'test/bench/wrk/agents.lua');

export interface PinnedPollResult {
  agents: number;
  rounds: { unpinned: WrkResult; pinned: WrkResult }[];
  /** Pinned 204 polls per second as a percentage of unpinned ones: 100 % is no overhead. */
  pinnedVsUnpinned: RatioSpread;
}

/** Enrol 2 × AGENTS agents, pin half of them, restart the server and measure both halves' 204s. */
export async function benchPinnedPoll(): Promise<PinnedPollResult> {
  const db = await prepareBackend('postgres');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-bench-pins-'));
  const [unpinnedFile, pinnedFile] = [path.join(dir, 'unpinned.txt'), path.join(dir, 'pinned.txt')];
  try {
    await cli(['group', 'create', '--slug', 'pins', '--name', 'Pins'], db.env);
    const token = await cli(
      ['token', 'mint', '--group', 'pins', '--max-uses', String(2 * AGENTS), '--ttl', '1h'],
      db.env,
    );
    const enrolling = await startFlotilla({ ...db.env, FLOTILLA_ENROL_RATE_LIMIT: '1000000' });
    let pinned: { id: string }[];
    try {
      const base = `http://127.0.0.1:${enrolling.port}`;
      await enrolAgents(base, token, unpinnedFile, AGENTS);
      pinned = await enrolAgents(base, token, pinnedFile, AGENTS);
    } finally {
      await enrolling.stop();
    }
    await pinAtTheirVersion(
      db.env.DATABASE_URL,
      pinned.map((a) => a.id),
    );
    const server = await startFlotilla(db.env);
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const poll = (file: string, seconds: number) =>
        wrk(base, AGENTS_LUA, { AGENTS_FILE: file, MODE: 'poll' }, seconds);
      await poll(unpinnedFile, 2);
      await poll(pinnedFile, 2);
      const rounds: PinnedPollResult['rounds'] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const unpinned = await poll(unpinnedFile, SECONDS);
        const pinnedRound = await poll(pinnedFile, SECONDS);
        if (pinnedRound.errors > 0 || unpinned.errors > 0) throw new Error('a 204 poll was refused');
        rounds.push({ unpinned, pinned: pinnedRound });
        process.stderr.write(`pinned poll round ${i + 1}: ${ratio(pinnedRound, unpinned)} % of unpinned\n`);
      }
      return {
        agents: AGENTS,
        rounds,
        pinnedVsUnpinned: spread(rounds.map((r) => ratio(r.pinned, r.unpinned))),
      };
    } finally {
      await server.stop();
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
    await db.drop();
  }
}

/** Pin `agentIds` to their group's current version, as a rollout stage that reached them would. */
async function pinAtTheirVersion(databaseUrl: string, agentIds: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO agent_config_pins (agent_id, group_id, version)
       SELECT a.id, a.group_id, g.config_version FROM agents a JOIN groups g ON g.id = a.group_id
       WHERE a.id = ANY($1::uuid[])`,
      [agentIds],
    );
  } finally {
    await client.end();
  }
}
