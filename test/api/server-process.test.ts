/**
 * The server as a real child process: start-up, first admin, SIGTERM. The admin CLI that prepares
 * its database runs in-process (test/cli covers the CLI itself).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { createTestDb } from '../helpers/db.ts';
import { handOver, runCli, startServerProcess, type ProcessDb } from '../helpers/process.ts';
import { enrolBody, heartbeatBody, postJson } from '../helpers/factories.ts';

let db: ProcessDb;
beforeAll(async () => {
  db = await handOver(await createTestDb());
});
afterAll(() => db.destroy());

// Each server start is a fresh tsx process (2–4 s on a loaded 2-core machine).
describe('server process', { timeout: 180_000 }, () => {
  it('server: serves the protocol, and on SIGTERM flushes heartbeats, closes the database and exits 0 within 10 s', async () => {
    expect((await runCli(['group', 'create', '--slug', 'web'], db.env)).code).toBe(0);
    const token = (
      await runCli(['token', 'mint', '--group', 'web', '--max-uses', '1', '--ttl', '1h'], db.env)
    ).stdout.trim();
    const server = await startServerProcess({
      ...db.env,
      FLOTILLA_HEARTBEAT_FLUSH_MS: '60000',
      LOG_LEVEL: 'info',
    });
    const base = `http://127.0.0.1:${server.port}`;
    const enrolled = await postJson(base + paths.enrol, enrolBody(token));
    expect(enrolled.status).toBe(201);
    const { data } = (await enrolled.json()) as { data: { agentId: string; agentToken: string } };
    const beat = await postJson(
      base + paths.heartbeat(data.agentId),
      heartbeatBody({ appliedConfigVersion: 42 }),
      data.agentToken,
    );
    expect(beat.status).toBe(200);
    const started = Date.now();
    const exited = new Promise<number | null>((resolve) =>
      server.child.once('exit', (code) => resolve(code)),
    );
    server.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(server.logs()).not.toContain(data.agentToken);
    expect(server.logs()).not.toContain(token);
    const listed = await runCli(['migrate'], db.env);
    expect(listed.code).toBe(0);
    const check = await startServerProcess({ ...db.env, LOG_LEVEL: 'info' });
    try {
      const res = await fetch(`http://127.0.0.1:${check.port}${paths.config(data.agentId)}?since=0`, {
        headers: { authorization: `Bearer ${data.agentToken}` },
      });
      expect(res.status).toBe(200);
    } finally {
      const stopped = new Promise((resolve) => check.child.once('exit', resolve));
      check.child.kill('SIGTERM');
      await stopped;
    }
  });

  it('creates the first admin from FLOTILLA_ADMIN_EMAIL and FLOTILLA_ADMIN_PASSWORD only when there are no users', async () => {
    const user = await runCli(
      ['user', 'create', '--email', 'ops@example.com', '--role', 'admin', '--password-stdin'],
      db.env,
      'a long enough password\n',
    );
    expect(user.stderr).toBe('');
    expect(user.code).toBe(0);
    const server = await startServerProcess({
      ...db.env,
      LOG_LEVEL: 'info',
      FLOTILLA_ADMIN_EMAIL: 'first@example.com',
      FLOTILLA_ADMIN_PASSWORD: 'first admin password',
    });
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await exited;
    expect(server.logs()).not.toContain('created the first admin');
    expect(server.logs()).not.toContain('first admin password');
  });
});
