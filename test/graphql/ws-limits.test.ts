/**
 * Caps on /graphql WebSockets: connections per user (4429 beyond it; closing one frees a slot;
 * other users unaffected), operations per connection (TOO_MANY_SUBSCRIPTIONS), and connections per
 * server (4429).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, loadConfig } from '../../api/config.ts';
import { WsCloseCode, TOO_MANY_SUBSCRIPTIONS } from '../../api/graphql/ws-connections.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { waitFor } from '../helpers/factories.ts';
import { createTestUser, subscribe, watchedClient, type WatchedSocket } from './helpers.ts';

const SUB = 'subscription { groupUpdated { membershipChanged } }';

/** Every socket a test opened, disposed after the file. */
function socketsOf(servers: () => TestServer) {
  const opened: WatchedSocket[] = [];
  return {
    open(token: string): WatchedSocket {
      const socket = watchedClient(servers().baseUrl, { token });
      opened.push(socket);
      return socket;
    },
    dispose: () => Promise.all(opened.map((s) => s.client.dispose())),
  };
}

describe('per user and per connection', () => {
  let server: TestServer;
  const sockets = socketsOf(() => server);
  beforeAll(async () => {
    server = await startTestServer({
      env: {
        FLOTILLA_WS_MAX_CONNECTIONS_PER_USER: '3',
        FLOTILLA_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
      },
    });
  });
  afterAll(async () => {
    await sockets.dispose();
    await server.close();
  });

  it('refuses the cap+1-th connection of a user with 4429, frees the slot on close, and spares other users', async () => {
    const user = await createTestUser(server.ctx, 'viewer');
    const other = await createTestUser(server.ctx, 'viewer');
    const admitted = [sockets.open(user.token), sockets.open(user.token), sockets.open(user.token)];
    for (const socket of admitted) expect(await socket.settled()).toBe('open');
    expect(await sockets.open(user.token).settled()).toBe(WsCloseCode.tooManyConnections);
    expect(await sockets.open(other.token).settled()).toBe('open');

    await admitted[0].client.dispose();
    // The server frees the slot once it sees the close; poll until a new connection is admitted.
    const replacement = await waitFor(async () => {
      const socket = sockets.open(user.token);
      return (await socket.settled()) === 'open' ? socket : null;
    });
    expect(replacement.state()).toEqual({ open: true, closed: null });
  });

  it('refuses an operation beyond the per-connection cap with TOO_MANY_SUBSCRIPTIONS, keeping the socket', async () => {
    const user = await createTestUser(server.ctx, 'editor');
    const socket = sockets.open(user.token);
    const first = await subscribe(server, socket.client, SUB);
    const second = await subscribe(server, socket.client, SUB);
    expect([first.errors, second.errors]).toEqual([[], []]);
    const third = await subscribe(server, socket.client, SUB);
    expect(third.errors).toHaveLength(1);
    expect(third.errors[0]).toMatchObject([{ extensions: { code: TOO_MANY_SUBSCRIPTIONS } }]);
    expect(socket.state()).toEqual({ open: true, closed: null });

    // Completing one frees its place on the connection.
    second.complete();
    const replacement = await waitFor(async () => {
      const sub = await subscribe(server, socket.client, SUB);
      return sub.errors.length === 0 ? sub : null;
    });
    expect(replacement.errors).toEqual([]);
    expect(socket.state()).toEqual({ open: true, closed: null });
  });
});

describe('per server', () => {
  let server: TestServer;
  const sockets = socketsOf(() => server);
  beforeAll(async () => {
    server = await startTestServer({ env: { FLOTILLA_WS_MAX_CONNECTIONS: '2' } });
  });
  afterAll(async () => {
    await sockets.dispose();
    await server.close();
  });

  it('refuses connections beyond the server cap with 4429, whoever asks', async () => {
    const users = await Promise.all([1, 2, 3].map(() => createTestUser(server.ctx, 'viewer')));
    expect(await sockets.open(users[0].token).settled()).toBe('open');
    expect(await sockets.open(users[1].token).settled()).toBe('open');
    expect(await sockets.open(users[2].token).settled()).toBe(WsCloseCode.tooManyConnections);
  });
});

describe('configuration', () => {
  it('defaults to 10,000 connections, 20 per user and 50 operations per connection; refuses 0', () => {
    expect(loadConfig({}).ws).toEqual({
      maxConnections: 10_000,
      maxConnectionsPerUser: 20,
      maxSubscriptionsPerConnection: 50,
    });
    expect(() => loadConfig({ FLOTILLA_WS_MAX_CONNECTIONS_PER_USER: '0' })).toThrow(ConfigurationError);
    expect(() => loadConfig({ FLOTILLA_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: 'many' })).toThrow(
      /FLOTILLA_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION/,
    );
  });
});
