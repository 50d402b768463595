/**
 * A graphql-ws connection lives only as long as its credential: sign-out, API-token revocation
 * (one or all of a user's), password reset, disabling a user, lowering their role and session
 * expiry close the affected sockets with 4403 promptly, and leave every other socket open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { createApiToken, revokeApiToken, revokeUserApiTokens } from '../../api/fleet/api-tokens.ts';
import { resetPassword, updateUser } from '../../api/fleet/users.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createTestUser,
  gqlData,
  loginCookie,
  subscribe,
  watchedClient,
  type TestUser,
  type WatchedSocket,
} from './helpers.ts';

const SUB = 'subscription { groupUpdated { membershipChanged } }';
/** A revoked credential's sockets must close well within this (the review saw 5.6 s of events). */
const PROMPT_MS = 2000;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const opened: WatchedSocket[] = [];
afterAll(() => Promise.all(opened.map((s) => s.client.dispose())));

/** A connection signed in with `credential`, admitted and running one live subscription. */
async function live(credential: { token: string } | { cookie: string }): Promise<WatchedSocket> {
  const socket = watchedClient(server.baseUrl, { ...credential, origin: server.baseUrl });
  opened.push(socket);
  const sub = await subscribe(server, socket.client, SUB);
  expect(sub.errors).toEqual([]);
  expect(await socket.settled()).toBe('open');
  return socket;
}

/** Proves `socket` is still open after the events before this call: a new subscription goes live. */
async function expectStillOpen(socket: WatchedSocket): Promise<void> {
  const sub = await subscribe(server, socket.client, SUB);
  expect(sub.errors).toEqual([]);
  expect(socket.state()).toEqual({ open: true, closed: null });
}

/** A second API token for `user`. */
async function secondToken(user: TestUser): Promise<string> {
  return (await createApiToken(server.ctx, CLI_ACTOR, { userId: user.id, name: 'second' })).token;
}

async function tokenId(user: TestUser): Promise<string> {
  const record = await server.ctx.db.apiToken.findFirstOrThrow({
    where: { userId: user.id, name: `test ${user.role}` },
  });
  return record.id;
}

describe('sign-out and sessions', () => {
  it('closes the signed-out session’s socket with 4403 promptly, and not another session’s', async () => {
    const user = await createTestUser(server.ctx, 'viewer');
    const cookie = await loginCookie(server.baseUrl, user.email, user.password);
    const otherCookie = await loginCookie(server.baseUrl, user.email, user.password);
    const socket = await live({ cookie });
    const other = await live({ cookie: otherCookie });
    await gqlData(
      server.baseUrl,
      'mutation { logout(input: {}) { ... on LogoutPayload { endedSessions } } }',
      {},
      { cookie },
    );
    expect(await socket.closed(PROMPT_MS)).toBe(4403);
    await expectStillOpen(other);
  });

  it('closes every session’s socket on logout everywhere, and on a password reset', async () => {
    const user = await createTestUser(server.ctx, 'editor');
    const sockets = [];
    for (let i = 0; i < 2; i++) {
      sockets.push(await live({ cookie: await loginCookie(server.baseUrl, user.email, user.password) }));
    }
    const cookie = await loginCookie(server.baseUrl, user.email, user.password);
    await gqlData(
      server.baseUrl,
      'mutation { logout(input: { everywhere: true }) { ... on LogoutPayload { endedSessions } } }',
      {},
      { cookie },
    );
    for (const socket of sockets) expect(await socket.closed(PROMPT_MS)).toBe(4403);

    const afterReset = await live({ cookie: await loginCookie(server.baseUrl, user.email, user.password) });
    const tokenSocket = await live({ token: user.token });
    await resetPassword(server.ctx, CLI_ACTOR, { email: user.email, password: 'another long password' });
    expect(await afterReset.closed(PROMPT_MS)).toBe(4403);
    // API tokens are separate credentials and survive a password reset.
    await expectStillOpen(tokenSocket);
  });
});

describe('API tokens', () => {
  it('closes the revoked token’s sockets and not those of the user’s other token', async () => {
    const user = await createTestUser(server.ctx, 'viewer');
    const other = await secondToken(user);
    const revokedSockets = [await live({ token: user.token }), await live({ token: user.token })];
    const otherSocket = await live({ token: other });
    await revokeApiToken(server.ctx, CLI_ACTOR, { id: await tokenId(user) });
    for (const socket of revokedSockets) expect(await socket.closed(PROMPT_MS)).toBe(4403);
    await expectStillOpen(otherSocket);
  });

  it('closes every token socket of a user on revokeUserApiTokens, not their session or other users', async () => {
    const user = await createTestUser(server.ctx, 'editor');
    const bystander = await createTestUser(server.ctx, 'editor');
    const tokenSockets = [await live({ token: user.token }), await live({ token: await secondToken(user) })];
    const sessionSocket = await live({
      cookie: await loginCookie(server.baseUrl, user.email, user.password),
    });
    const bystanderSocket = await live({ token: bystander.token });
    expect(await revokeUserApiTokens(server.ctx, CLI_ACTOR, { userId: user.id })).toBe(2);
    for (const socket of tokenSockets) expect(await socket.closed(PROMPT_MS)).toBe(4403);
    await expectStillOpen(sessionSocket);
    await expectStillOpen(bystanderSocket);
  });
});

describe('users', () => {
  it('closes every socket of a disabled user (sessions and tokens), not another user’s', async () => {
    const user = await createTestUser(server.ctx, 'editor');
    const bystander = await createTestUser(server.ctx, 'viewer');
    const sockets = [
      await live({ token: user.token }),
      await live({ cookie: await loginCookie(server.baseUrl, user.email, user.password) }),
    ];
    const bystanderSocket = await live({ token: bystander.token });
    await updateUser(server.ctx, CLI_ACTOR, { id: user.id, disabled: true });
    for (const socket of sockets) expect(await socket.closed(PROMPT_MS)).toBe(4403);
    await expectStillOpen(bystanderSocket);
  });

  it('closes the sockets of a user whose role was lowered, so they reconnect with their new rights', async () => {
    const user = await createTestUser(server.ctx, 'admin');
    const socket = await live({ cookie: await loginCookie(server.baseUrl, user.email, user.password) });
    await updateUser(server.ctx, CLI_ACTOR, { id: user.id, role: 'viewer' });
    expect(await socket.closed(PROMPT_MS)).toBe(4403);
    const again = await live({ token: user.token });
    expect(again.state()).toEqual({ open: true, closed: null });
  });
});

describe('expiry', () => {
  let now = Date.now();
  let clocked: TestServer;
  beforeAll(async () => {
    clocked = await startTestServer({ clock: () => new Date(now) });
  });
  afterAll(() => clocked.close());

  it('closes a session’s socket with 4403 when the session expires, without any message from the client', async () => {
    const user = await createTestUser(clocked.ctx, 'viewer');
    const cookie = await loginCookie(clocked.baseUrl, user.email, user.password);
    const session = await clocked.ctx.db.session.findFirstOrThrow({ where: { userId: user.id } });
    now = session.expiresAt.getTime() - 400;
    const socket = watchedClient(clocked.baseUrl, { cookie, origin: clocked.baseUrl });
    try {
      const sub = await subscribe(clocked, socket.client, SUB);
      expect(sub.errors).toEqual([]);
      expect(await socket.settled()).toBe('open');
      expect(await socket.closed(3000)).toBe(4403);
    } finally {
      await socket.client.dispose();
    }
  });

  it('refuses a connection whose session expired with 4403', async () => {
    const user = await createTestUser(clocked.ctx, 'viewer');
    const cookie = await loginCookie(clocked.baseUrl, user.email, user.password);
    const session = await clocked.ctx.db.session.findFirstOrThrow({ where: { userId: user.id } });
    now = session.expiresAt.getTime();
    const socket = watchedClient(clocked.baseUrl, { cookie, origin: clocked.baseUrl });
    try {
      expect(await socket.settled()).toBe(4403);
    } finally {
      await socket.client.dispose();
    }
  });
});
