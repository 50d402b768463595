/**
 * Secret keys as operators meet them, through the admin CLI as a child process: without
 * FLOTILLA_SECRET_KEY a database holding secrets is refused with a message naming the variable;
 * `secrets rotate` re-encrypts under the new key with the old one in FLOTILLA_SECRET_KEY_PREVIOUS.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetContext } from '../../api/fleet/context.ts';
import { loadConfig } from '../../api/config.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { createLocalBus } from '../../api/fleet/events.ts';
import { createSecret } from '../../api/fleet/secrets.ts';
import { createTestDb } from '../helpers/db.ts';
import { handOver, runCli, type ProcessDb } from '../helpers/process.ts';

const OLD_KEY = crypto.randomBytes(32).toString('base64');
const NEW_KEY = crypto.randomBytes(32).toString('hex');
const VALUE = `value-${crypto.randomUUID()}`;

let db: ProcessDb;
beforeAll(async () => {
  const testDb = await createTestDb();
  const events = createLocalBus();
  const ctx = createFleetContext({
    config: loadConfig({ FLOTILLA_SECRET_KEY: OLD_KEY }),
    db: testDb.db,
    events,
  });
  await createSecret(ctx, CLI_ACTOR, { name: 'hec_token', value: VALUE });
  await events.close();
  db = await handOver(testDb);
});
afterAll(() => db.destroy());

describe('secrets rotate', { timeout: 120_000 }, () => {
  it('refuses without the key, naming the variable, and re-encrypts with the old key listed as previous', async () => {
    const noKey = await runCli(['secrets', 'rotate'], db.env);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('FLOTILLA_SECRET_KEY is not set');
    const wrongKey = await runCli(['secrets', 'rotate'], { ...db.env, FLOTILLA_SECRET_KEY: NEW_KEY });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('FLOTILLA_SECRET_KEY_PREVIOUS');
    const rotated = await runCli(['secrets', 'rotate'], {
      ...db.env,
      FLOTILLA_SECRET_KEY: NEW_KEY,
      FLOTILLA_SECRET_KEY_PREVIOUS: OLD_KEY,
    });
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('re-encrypted 1 secret(s)');
    const again = await runCli(['secrets', 'rotate'], { ...db.env, FLOTILLA_SECRET_KEY: NEW_KEY });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('every secret already uses FLOTILLA_SECRET_KEY');
    for (const result of [noKey, wrongKey, rotated, again])
      expect(result.stdout + result.stderr).not.toContain(VALUE);
  });
});
