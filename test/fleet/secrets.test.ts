/**
 * Secrets (api/fleet/secrets.ts): encrypted at rest, referenced as SECRET[name], required for
 * sensitive options, checked at save time, refused for deletion while used, republished on change,
 * and re-encrypted when the key rotates.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR, type Actor, type FleetContext } from '../../api/fleet/context.ts';
import { FleetError } from '../../api/fleet/errors.ts';
import { createSecret, deleteSecret, resolveDeliveredConfig, updateSecret } from '../../api/fleet/secrets.ts';
import { createKeyring, open, seal } from '../../api/fleet/secret-crypto.ts';
import { checkSecretKeys, rotateSecrets } from '../../api/fleet/secret-rotation.ts';
import { ConfigurationError, loadConfig } from '../../api/config.ts';
import { prepareSecrets } from '../../api/startup.ts';
import { pino } from 'pino';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  DEMO_PIPELINE,
  createGroupWithPipeline,
  publishComponent,
  publishPipeline,
} from '../helpers/factories.ts';

const KEY = crypto.randomBytes(32).toString('base64');
const VALUE = `hec-${crypto.randomUUID()}`;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_SECRET_KEY: KEY } });
});
afterAll(() => server.close());

async function failure(promise: Promise<unknown>): Promise<FleetError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof FleetError)) throw new Error(`expected a FleetError, got ${String(error)}`);
  return error;
}

const hec = (groupId: string, token: unknown, name = 'hec') => ({
  groupId,
  name,
  type: 'splunk_hec_logs',
  options: { endpoint: 'https://splunk.example.com:8088', default_token: token, encoding: { codec: 'json' } },
});
/** Publish a sink reading `demo` (`name` becomes its id) into the group's pipeline. */
const createOutput = (ctx: FleetContext, actor: Actor, { groupId, name, ...rest }: ReturnType<typeof hec>) =>
  publishComponent(ctx, actor, groupId, { id: name, kind: 'sink', ...rest });

const latestYaml = async (groupId: string) =>
  (
    await server.ctx.db.renderedConfig.findFirstOrThrow({
      where: { groupId, platform: 'linux' },
      orderBy: { version: 'desc' },
    })
  ).yaml;

describe('encryption', () => {
  it('round-trips, binds the ciphertext to its secret, and names an unknown key', () => {
    const ring = createKeyring(KEY);
    const sealed = seal(ring, 'fleet', 'a', VALUE);
    expect(sealed.ciphertext).not.toContain(VALUE);
    expect(open(ring, 'fleet', 'a', sealed)).toBe(VALUE);
    expect(() => open(ring, 'fleet', 'b', sealed)).toThrow(/altered or moved/);
    const other = createKeyring(crypto.randomBytes(32).toString('hex'));
    expect(() => open(other, 'fleet', 'a', sealed)).toThrow(sealed.keyId);
  });
});

describe('secrets in pipelines', () => {
  it('refuses a literal token in a sensitive option, naming the field', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const error = await failure(createOutput(server.ctx, CLI_ACTOR, hec(group.id, VALUE)));
    expect(error.code).toBe('secret_required');
    expect(error.issues[0].path).toBe('options.default_token');
  });

  it('refuses a reference to a secret that does not exist', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const error = await failure(createOutput(server.ctx, CLI_ACTOR, hec(group.id, 'SECRET[nope]')));
    expect(error.code).toBe('secret_not_found');
    expect(error.issues).toEqual([
      { path: 'options.default_token', message: expect.stringContaining('nope') },
    ]);
  });

  it('stores and renders only the reference; delivery resolves the group secret before the fleet one', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const other = await createGroupWithPipeline(server.ctx);
    await createSecret(server.ctx, CLI_ACTOR, { name: 'shared_tok', value: 'fleet-value' });
    await createSecret(server.ctx, CLI_ACTOR, { groupId: group.id, name: 'shared_tok', value: VALUE });
    await createOutput(server.ctx, CLI_ACTOR, hec(group.id, 'SECRET[shared_tok]'));
    await createOutput(server.ctx, CLI_ACTOR, hec(other.id, 'SECRET[shared_tok]'));
    const yaml = await latestYaml(group.id);
    expect(yaml).toContain('SECRET[shared_tok]');
    expect(yaml).not.toContain(VALUE);
    expect(await resolveDeliveredConfig(server.ctx, group.id, yaml)).toContain(`default_token: "${VALUE}"`);
    const otherYaml = await resolveDeliveredConfig(server.ctx, other.id, await latestYaml(other.id));
    expect(otherYaml).toContain('default_token: "fleet-value"');
    expect(otherYaml).not.toContain(VALUE);
    const rows = await server.ctx.db.secret.findMany();
    expect(JSON.stringify(rows)).not.toContain(VALUE);
  });

  it('keeps a value with quotes and newlines one YAML string', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const tricky = 'a"b\nc: d # e';
    await createSecret(server.ctx, CLI_ACTOR, { groupId: group.id, name: 'tricky', value: tricky });
    await createOutput(server.ctx, CLI_ACTOR, hec(group.id, 'SECRET[tricky]'));
    const { parse } = await import('yaml');
    const delivered = parse(await resolveDeliveredConfig(server.ctx, group.id, await latestYaml(group.id)));
    expect(delivered.sinks.hec.default_token).toBe(tricky);
  });

  it('republishes the groups using a secret when its value changes, and audits without the value', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const secret = await createSecret(server.ctx, CLI_ACTOR, {
      groupId: group.id,
      name: 'rot',
      value: 'old',
    });
    await createOutput(server.ctx, CLI_ACTOR, hec(group.id, 'SECRET[rot]'));
    const before = await server.ctx.db.group.findUniqueOrThrow({ where: { id: group.id } });
    await updateSecret(server.ctx, CLI_ACTOR, { id: secret.id, value: VALUE });
    const after = await server.ctx.db.group.findUniqueOrThrow({ where: { id: group.id } });
    expect(after.configVersion).toBe(before.configVersion + 1);
    const republished = await server.ctx.db.auditEvent.findFirstOrThrow({
      where: { action: 'group.republish', targetId: group.id },
    });
    expect(republished.after).toMatchObject({ configVersion: after.configVersion });
    const audits = await server.ctx.db.auditEvent.findMany();
    expect(JSON.stringify(audits)).not.toContain(VALUE);
  });

  it('refuses to delete a secret while a pipeline uses it, and deletes it afterwards', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const secret = await createSecret(server.ctx, CLI_ACTOR, { groupId: group.id, name: 'used', value: 'v' });
    await createOutput(server.ctx, CLI_ACTOR, hec(group.id, 'SECRET[used]'));
    const error = await failure(deleteSecret(server.ctx, CLI_ACTOR, { id: secret.id }));
    expect(error.code).toBe('secret_in_use');
    expect(error.message).toContain(group.slug);
    await publishPipeline(server.ctx, group.id, DEMO_PIPELINE, 'drop hec');
    expect((await deleteSecret(server.ctx, CLI_ACTOR, { id: secret.id })).name).toBe('used');
  });

  it('refuses to create a secret when no key is configured', async () => {
    const noKey: FleetContext = {
      ...server.ctx,
      settings: { ...server.ctx.settings, secretKeys: undefined },
    };
    const error = await failure(createSecret(noKey, CLI_ACTOR, { name: 'x', value: 'y' }));
    expect(error.code).toBe('secret_key_missing');
    await expect(checkSecretKeys(noKey)).rejects.toThrow(/FLOTILLA_SECRET_KEY is not set/);
  });
});

describe('configuration and start-up', () => {
  it('validates FLOTILLA_SECRET_KEY and FLOTILLA_SECRET_KEY_PREVIOUS, naming the variable', () => {
    expect(() => loadConfig({ FLOTILLA_SECRET_KEY: 'too-short' })).toThrow(
      /FLOTILLA_SECRET_KEY must be 32 bytes/,
    );
    expect(() => loadConfig({ FLOTILLA_SECRET_KEY_PREVIOUS: KEY })).toThrow(/needs FLOTILLA_SECRET_KEY/);
    expect(() =>
      loadConfig({ FLOTILLA_SECRET_KEY: KEY, FLOTILLA_SECRET_KEY_PREVIOUS: `${KEY},nope` }),
    ).toThrow(/FLOTILLA_SECRET_KEY_PREVIOUS/);
    const config = loadConfig({
      FLOTILLA_SECRET_KEY: KEY,
      FLOTILLA_SECRET_KEY_PREVIOUS: ` ${'ab'.repeat(32)} `,
    });
    expect(config.secretKeys?.previous).toHaveLength(1);
  });

  it('refuses to start with stored secrets and no key, saying which variable to set', async () => {
    await createSecret(server.ctx, CLI_ACTOR, { name: 'startup_check', value: VALUE });
    const noKey: FleetContext = {
      ...server.ctx,
      settings: { ...server.ctx.settings, secretKeys: undefined },
    };
    const error = await prepareSecrets(noKey, pino({ level: 'silent' })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/secret\(s\) are stored but FLOTILLA_SECRET_KEY is not set/);
    await prepareSecrets(server.ctx, pino({ level: 'silent' }));
  });
});

describe('key rotation', () => {
  it('re-encrypts every secret under the new key, reading with the previous one', async () => {
    await createSecret(server.ctx, CLI_ACTOR, { name: 'rotating', value: VALUE });
    const next = crypto.randomBytes(32).toString('base64');
    const unknown: FleetContext = {
      ...server.ctx,
      settings: { ...server.ctx.settings, secretKeys: createKeyring(next) },
    };
    await expect(checkSecretKeys(unknown)).rejects.toThrow(/FLOTILLA_SECRET_KEY_PREVIOUS/);
    const ring = createKeyring(next, [KEY]);
    const rotated: FleetContext = { ...server.ctx, settings: { ...server.ctx.settings, secretKeys: ring } };
    await checkSecretKeys(rotated);
    const count = await rotateSecrets(rotated);
    expect(count).toBe(await server.ctx.db.secret.count());
    const rows = await server.ctx.db.secret.findMany();
    expect(new Set(rows.map((r) => r.keyId))).toEqual(new Set([ring.current.id]));
    const row = rows.find((r) => r.name === 'rotating')!;
    expect(open(createKeyring(next), row.scope, row.name, row)).toBe(VALUE);
    expect(await rotateSecrets(rotated)).toBe(0);
  });
});
