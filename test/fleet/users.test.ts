/** Fleet domain: users, password hashes, API tokens and the audit trail. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { FleetError } from '../../api/fleet/errors.ts';
import { createUser, resetPassword, updateUser, verifyCredentials } from '../../api/fleet/users.ts';
import { authenticateApiToken, createApiToken, revokeApiToken } from '../../api/fleet/api-tokens.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const PASSWORD = 'correct horse battery staple';
let n = 0;
const email = () => `user${++n}-${process.pid}@example.com`;

describe('users', () => {
  it('stores only a scrypt hash and verifies the password', async () => {
    const user = await createUser(server.ctx, CLI_ACTOR, {
      email: email(),
      role: 'editor',
      password: PASSWORD,
    });
    const row = await server.ctx.db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(row.passwordHash).not.toContain(PASSWORD);
    expect((await verifyCredentials(server.ctx, user.email.toUpperCase(), PASSWORD)).id).toBe(user.id);
    const wrong = await verifyCredentials(server.ctx, user.email, 'wrong password!!').catch(
      (e: unknown) => e,
    );
    expect((wrong as FleetError).code).toBe('invalid_credentials');
    const unknown = await verifyCredentials(server.ctx, 'nobody@example.com', PASSWORD).catch(
      (e: unknown) => e,
    );
    expect((unknown as FleetError).message).toBe((wrong as FleetError).message);
  });

  it('refuses short passwords, bad roles and taken emails, naming the field', async () => {
    const short = await createUser(server.ctx, CLI_ACTOR, {
      email: email(),
      role: 'viewer',
      password: 'short',
    }).catch((e: unknown) => e);
    expect((short as FleetError).issues[0].path).toBe('password');
    const role = await createUser(server.ctx, CLI_ACTOR, {
      email: email(),
      role: 'root',
      password: PASSWORD,
    }).catch((e: unknown) => e);
    expect((role as FleetError).issues[0].path).toBe('role');
    const address = email();
    await createUser(server.ctx, CLI_ACTOR, { email: address, role: 'viewer', password: PASSWORD });
    const taken = await createUser(server.ctx, CLI_ACTOR, {
      email: address,
      role: 'viewer',
      password: PASSWORD,
    }).catch((e: unknown) => e);
    expect((taken as FleetError).code).toBe('conflict');
  });

  it('resets a password, disables a user, and audits both without secrets', async () => {
    const user = await createUser(server.ctx, CLI_ACTOR, {
      email: email(),
      role: 'viewer',
      password: PASSWORD,
    });
    await resetPassword(server.ctx, CLI_ACTOR, { email: user.email, password: 'another long password' });
    await expect(verifyCredentials(server.ctx, user.email, 'another long password')).resolves.toMatchObject({
      id: user.id,
    });
    await updateUser(server.ctx, CLI_ACTOR, { id: user.id, disabled: true });
    await expect(verifyCredentials(server.ctx, user.email, 'another long password')).rejects.toThrow(
      FleetError,
    );
    const events = await server.ctx.db.auditEvent.findMany({
      where: { targetId: user.id },
      orderBy: { createdAt: 'asc' },
    });
    expect(events.map((e) => e.action)).toEqual(['user.create', 'user.reset_password', 'user.update']);
    expect(JSON.stringify(events)).not.toContain('another long password');
  });
});

describe('API tokens', () => {
  it('act as their user with at most the user’s role, record last use, and stop working when revoked', async () => {
    const user = await createUser(server.ctx, CLI_ACTOR, {
      email: email(),
      role: 'editor',
      password: PASSWORD,
    });
    const tooHigh = await createApiToken(server.ctx, CLI_ACTOR, {
      userId: user.id,
      name: 'x',
      role: 'admin',
    }).catch((e: unknown) => e);
    expect((tooHigh as FleetError).issues[0].path).toBe('role');
    const { token, record } = await createApiToken(server.ctx, CLI_ACTOR, {
      userId: user.id,
      name: 'ci',
      role: 'viewer',
    });
    expect(token).toMatch(/^FLT_/);
    expect(record.tokenHash).not.toContain(token);
    const actor = await authenticateApiToken(server.ctx, token);
    expect(actor).toMatchObject({ type: 'api_token', id: user.id, role: 'viewer' });
    expect(
      (await server.ctx.db.apiToken.findUniqueOrThrow({ where: { id: record.id } })).lastUsedAt,
    ).not.toBeNull();
    await revokeApiToken(server.ctx, CLI_ACTOR, { id: record.id });
    expect(await authenticateApiToken(server.ctx, token)).toBeNull();
    expect(await authenticateApiToken(server.ctx, 'FLT_unknown')).toBeNull();
  });
});
