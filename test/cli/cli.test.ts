/**
 * The admin CLI (`npm run flotilla -- …`): its commands run in-process through runCli with
 * injected streams and environment against a test database handed over like to a child
 * process; one smoke test runs it as a real child process through tsx. The commands act through
 * api/fleet, so one database backend is enough here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../helpers/db.ts';
import { handOver, runCli, spawnCli, type ProcessDb } from '../helpers/process.ts';

let db: ProcessDb;
beforeAll(async () => {
  db = await handOver(await createTestDb());
});
afterAll(() => db.destroy());

describe('admin CLI', () => {
  it('creates a group, mints a token, creates users and API tokens', async () => {
    const group = await runCli(['group', 'create', '--slug', 'web', '--name', 'Web servers'], db.env);
    expect(group).toMatchObject({ code: 0, stderr: '' });
    expect(group.stdout).toContain('created group web');
    const token = await runCli(['token', 'mint', '--group', 'web', '--max-uses', '2', '--ttl', '1h'], db.env);
    expect(token.code).toBe(0);
    expect(token.stdout.trim()).toMatch(/^EBT_[A-Za-z0-9_-]{43}$/);
    const user = await runCli(
      ['user', 'create', '--email', 'ops@example.com', '--role', 'admin', '--password-stdin'],
      db.env,
      'a long enough password\n',
    );
    expect(user.code).toBe(0);
    expect(user.stdout).toContain('created admin ops@example.com');
    expect(user.stdout + user.stderr).not.toContain('a long enough password');
    const api = await runCli(['api-token', 'create', '--user', 'ops@example.com', '--name', 'ci'], db.env);
    expect(api.code).toBe(0);
    expect(api.stdout.trim()).toMatch(/^FLT_/);
    const reset = await runCli(
      ['user', 'reset-password', '--email', 'ops@example.com', '--password-stdin'],
      db.env,
      'another long password\n',
    );
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('password changed for ops@example.com');
  });

  it('exits 1 naming the problem for fleet errors, and 2 for bad arguments', async () => {
    const unknownGroup = await runCli(
      ['token', 'mint', '--group', 'nope', '--max-uses', '2', '--ttl', '1h'],
      db.env,
    );
    expect(unknownGroup.code).toBe(1);
    expect(unknownGroup.stderr).toContain('no group with slug "nope"');
    const badNumber = await runCli(
      ['token', 'mint', '--group', 'web', '--max-uses', 'many', '--ttl', '1h'],
      db.env,
    );
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toContain('--max-uses takes a whole number');
    const noStdin = await runCli(['user', 'create', '--email', 'x@example.com', '--role', 'admin'], db.env);
    expect(noStdin.code).toBe(2);
    expect(noStdin.stderr).toContain('--password-stdin is required');
    const unknown = await runCli(['frobnicate'], db.env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const none = await runCli([], db.env);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('usage: npm run flotilla');
  });

  it('migrate reports an up-to-date database; an invalid environment exits 1 naming the variable', async () => {
    const migrate = await runCli(['migrate'], db.env);
    expect(migrate).toMatchObject({ code: 0, stdout: 'database is up to date\n' });
    const invalid = await runCli(['migrate'], { ...db.env, PORT: 'eighty' });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('PORT');
  });

  it('runs as `npm run flotilla -- …` in its own process (smoke test)', { timeout: 60_000 }, async () => {
    const group = await spawnCli(['group', 'create', '--slug', 'spawned'], db.env);
    expect(group.stderr).toBe('');
    expect(group.code).toBe(0);
    expect(group.stdout).toContain('created group spawned');
  });
});
