/** Start-up chores: the first admin from the environment and registering the built agent bundle. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../api/config.ts';
import { ensureFirstAdmin, registerBundledAgent } from '../../api/startup.ts';
import { verifyCredentials } from '../../api/fleet/users.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
const log = pino({ level: 'silent' });

describe('start-up', () => {
  it('creates the first admin once, from FLOTILLA_ADMIN_EMAIL / FLOTILLA_ADMIN_PASSWORD', async () => {
    const config = loadConfig({
      FLOTILLA_ADMIN_EMAIL: 'root@example.com',
      FLOTILLA_ADMIN_PASSWORD: 'a very long password',
    });
    await ensureFirstAdmin(server.ctx, config, log);
    const admin = await verifyCredentials(server.ctx, 'root@example.com', 'a very long password');
    expect(admin.role).toBe('admin');
    const again = loadConfig({
      FLOTILLA_ADMIN_EMAIL: 'second@example.com',
      FLOTILLA_ADMIN_PASSWORD: 'another long password',
    });
    await ensureFirstAdmin(server.ctx, again, log);
    expect(await server.ctx.db.user.count()).toBe(1);
  });

  it('rejects half an admin and a short admin password', () => {
    expect(() => loadConfig({ FLOTILLA_ADMIN_EMAIL: 'a@example.com' })).toThrow(/both/);
    expect(() =>
      loadConfig({ FLOTILLA_ADMIN_EMAIL: 'a@example.com', FLOTILLA_ADMIN_PASSWORD: 'short' }),
    ).toThrow(/FLOTILLA_ADMIN_PASSWORD/);
  });

  it('registers a built agent bundle under the version it reports, and skips a missing one', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-bundle-'));
    const bundle = path.join(dir, 'flotilla-agent.mjs');
    await fs.writeFile(bundle, "if (process.argv[2] === 'version') console.log('flotilla-agent 1.2.3');\n");
    try {
      expect(await registerBundledAgent(server.ctx, log, bundle)).toBe('1.2.3');
      const release = await server.ctx.db.agentRelease.findUniqueOrThrow({ where: { version: '1.2.3' } });
      expect(release.size).toBe((await fs.stat(bundle)).size);
      expect(await registerBundledAgent(server.ctx, log, path.join(dir, 'missing.mjs'))).toBeUndefined();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
