/**
 * Backups and restore on the test's backend: a scheduled backup of a running, populated server is
 * restored into a fresh database, and the agent keeps polling there with its old token and sees the
 * same version and etag; the CLI's backup and restore with their refusals; pruning of old backups.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../api/db.ts';
import { restorePglite, restorePostgres } from '../../api/backups.ts';
import { headers, paths } from '../../api/protocol/v1.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { ADMIN_URL, testBackend, withDatabase, type TestDb } from '../helpers/db.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  mintToken,
  type EnrolledTestAgent,
} from '../helpers/factories.ts';
import { runCli } from '../helpers/process.ts';

let dir: string;
let now = new Date('2026-12-06T10:00:00Z');
let server: TestServer;
let agent: EnrolledTestAgent;
let served: { version: string | null; etag: string | null; body: string };
const cleanups: (() => Promise<unknown>)[] = [];

/** The agent's config poll from scratch: version, etag and body as served. */
async function pollConfig(baseUrl: string, enrolled: EnrolledTestAgent) {
  const res = await fetch(`${baseUrl}${paths.config(enrolled.agentId)}?since=0`, {
    headers: { authorization: `Bearer ${enrolled.agentToken}` },
  });
  expect(res.status).toBe(200);
  return {
    version: res.headers.get(headers.configVersion),
    etag: res.headers.get(headers.configEtag),
    body: await res.text(),
  };
}

/** An empty target of this backend: a new PostgreSQL database or a new PGlite directory. */
async function emptyTarget(): Promise<TestDb['config']> {
  if (testBackend() === 'postgres') {
    const name = `flotilla_restore_${crypto.randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    cleanups.push(async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    });
    return { kind: 'postgres', url: withDatabase(ADMIN_URL, name) };
  }
  const dataDir = path.join(dir, `restored-${crypto.randomBytes(4).toString('hex')}`);
  return { kind: 'pglite', dataDir };
}

function restore(target: TestDb['config'], file: string, replace = false): Promise<void> {
  return target.kind === 'postgres'
    ? restorePostgres(target.url, file, replace)
    : restorePglite(target.dataDir, file, replace);
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-backup-'));
  server = await startTestServer({
    env: { FLOTILLA_BACKUP_DIR: path.join(dir, 'scheduled'), FLOTILLA_BACKUP_KEEP: '2' },
    clock: () => now,
  });
  const group = await createGroupWithPipeline(server.ctx, 'web');
  agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
  served = await pollConfig(server.baseUrl, agent);
});

afterAll(async () => {
  await server?.close();
  for (const cleanup of cleanups.reverse()) await cleanup();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('backup and restore', () => {
  it('restores a running server’s scheduled backup into a fresh database where the agent keeps its token and version', async () => {
    await server.app.backups!.runOnce();
    const [file] = await fs.readdir(path.join(dir, 'scheduled'));
    expect(file).toBe(`flotilla-${testBackend()}-20261206T100000Z.backup`);

    const target = await emptyTarget();
    await restore(target, path.join(dir, 'scheduled', file));
    const db = await openDb(target);
    const restored = await startTestServer({
      testDb: { db, config: target, destroy: () => db.close() },
    });
    try {
      expect(await pollConfig(restored.baseUrl, agent)).toEqual(served);
      const hb = await fetch(`${restored.baseUrl}${paths.heartbeat(agent.agentId)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${agent.agentToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          agentVersion: '0.1.0',
          vectorVersion: '0.58.0',
          appliedConfigVersion: Number(served.version),
          vectorRunning: true,
          vectorUptimeSeconds: 5,
        }),
      });
      expect(hb.status).toBe(200);
    } finally {
      await restored.close();
      await db.close().catch(() => undefined);
    }
  }, 90_000);

  it('keeps the newest FLOTILLA_BACKUP_KEEP scheduled backups and never touches other files', async () => {
    const scheduled = path.join(dir, 'scheduled');
    await fs.writeFile(path.join(scheduled, 'notes.txt'), 'mine');
    for (const time of ['2026-12-07T10:00:00Z', '2026-12-08T10:00:00Z']) {
      now = new Date(time);
      await server.app.backups!.runOnce();
    }
    expect((await fs.readdir(scheduled)).sort()).toEqual([
      `flotilla-${testBackend()}-20261207T100000Z.backup`,
      `flotilla-${testBackend()}-20261208T100000Z.backup`,
      'notes.txt',
    ]);
  });

  it('refuses to restore over data, or a backup of the other store, and changes nothing then', async () => {
    const [file] = (await fs.readdir(path.join(dir, 'scheduled'))).filter((f) => f.endsWith('.backup'));
    const backup = path.join(dir, 'scheduled', file);
    await expect(restore(server.testDb.config, backup)).rejects.toThrow(/already has tables|is not empty/);
    expect(await pollConfig(server.baseUrl, agent)).toEqual(served);

    const other = path.join(dir, 'other.backup');
    await fs.writeFile(other, testBackend() === 'postgres' ? Buffer.from([0x1f, 0x8b, 8, 0]) : 'PGDMP\x01');
    await expect(restore(await emptyTarget(), other)).rejects.toThrow(
      testBackend() === 'postgres' ? /this is a PGlite backup/ : /this is a PostgreSQL backup/,
    );
    await fs.writeFile(other, 'not a backup');
    await expect(restore(await emptyTarget(), other)).rejects.toThrow(/is not a Flotilla backup/);
  });

  it('backs up and restores from the CLI; PGlite held by a running server is refused politely', async () => {
    const out = path.join(dir, 'cli.backup');
    if (testBackend() === 'pglite') {
      // A data directory another live process holds (its pid in the lock file), as a server would.
      const dataDir = path.join(dir, 'held');
      await fs.mkdir(path.join(dataDir, 'pglite'), { recursive: true });
      const holder = spawn('sleep', ['60']);
      cleanups.push(async () => holder.kill());
      await fs.writeFile(path.join(dataDir, 'pglite', '.flotilla.lock'), String(holder.pid));
      const refused = await runCli(['backup', '--out', out], { FLOTILLA_DATA_DIR: dataDir });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/in use by process \d+.*PGlite is one process/);
      await expect(fs.stat(out)).rejects.toThrow();
      return;
    }
    const url = server.testDb.config.kind === 'postgres' ? server.testDb.config.url : '';
    const taken = await runCli(['backup', '--out', out], { DATABASE_URL: url });
    expect(taken).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('backed up the postgres database'),
    });

    const target = await emptyTarget();
    const targetUrl = target.kind === 'postgres' ? target.url : '';
    expect((await runCli(['restore', '--in', out], { DATABASE_URL: targetUrl })).code).toBe(0);
    const again = await runCli(['restore', '--in', out], { DATABASE_URL: targetUrl });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already has tables');
    expect((await runCli(['restore', '--in', out, '--replace'], { DATABASE_URL: targetUrl })).code).toBe(0);
    expect((await runCli(['backup'], { DATABASE_URL: url })).code).toBe(2);
  });
});
