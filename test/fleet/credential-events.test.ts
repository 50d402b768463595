/**
 * Fleet announces ended credentials on the bus (`credentialsRevoked`) after the commit, naming
 * exactly the sessions and API tokens that ended, or the user to re-check; refused changes announce
 * nothing. The WebSocket layer closes connections from these events (test/graphql/ws-credentials).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import type { FleetEvents } from '../../api/fleet/events.ts';
import { createApiToken, revokeApiToken, revokeUserApiTokens } from '../../api/fleet/api-tokens.ts';
import { endSession, startSession } from '../../api/fleet/sessions.ts';
import { createUser, resetPassword, updateUser } from '../../api/fleet/users.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';

const PASSWORD = 'correct horse battery staple';
let server: TestServer;
const heard: FleetEvents['credentialsRevoked'][] = [];
beforeAll(async () => {
  server = await startTestServer();
  server.events.subscribe('credentialsRevoked', (event) => heard.push(event));
});
afterAll(() => server.close());

let n = 0;
async function user(role: 'viewer' | 'editor' = 'editor') {
  const email = `cred${++n}-${process.pid}@example.com`;
  return createUser(server.ctx, CLI_ACTOR, { email, role, password: PASSWORD });
}

/** The events heard while `work` ran (the local bus delivers synchronously on publish). */
async function during(work: () => Promise<unknown>): Promise<FleetEvents['credentialsRevoked'][]> {
  const from = heard.length;
  await work().catch(() => undefined);
  return heard.slice(from);
}

describe('credentialsRevoked', () => {
  it('names the ended session on logout, and every session of the user with everywhere', async () => {
    const u = await user();
    const a = await startSession(server.ctx, u.email, PASSWORD);
    const b = await startSession(server.ctx, u.email, PASSWORD);
    const c = await startSession(server.ctx, u.email, PASSWORD);
    expect(await during(() => endSession(server.ctx, CLI_ACTOR, a.sessionId))).toEqual([
      { sessionIds: [a.sessionId] },
    ]);
    const [event, ...rest] = await during(() => endSession(server.ctx, CLI_ACTOR, b.sessionId, true));
    expect(rest).toEqual([]);
    expect(event.sessionIds?.toSorted()).toEqual([b.sessionId, c.sessionId].toSorted());
    expect(await during(() => endSession(server.ctx, CLI_ACTOR, b.sessionId))).toEqual([]);
  });

  it('names the sessions a password reset ends', async () => {
    const u = await user();
    const s = await startSession(server.ctx, u.email, PASSWORD);
    expect(
      await during(() =>
        resetPassword(server.ctx, CLI_ACTOR, { email: u.email, password: 'a new password!' }),
      ),
    ).toEqual([{ sessionIds: [s.sessionId] }]);
  });

  it('names revoked API tokens, one or all of a user’s; nothing for an unknown token', async () => {
    const u = await user();
    const first = await createApiToken(server.ctx, CLI_ACTOR, { userId: u.id, name: 'one' });
    const second = await createApiToken(server.ctx, CLI_ACTOR, { userId: u.id, name: 'two' });
    const third = await createApiToken(server.ctx, CLI_ACTOR, { userId: u.id, name: 'three' });
    expect(await during(() => revokeApiToken(server.ctx, CLI_ACTOR, { id: first.record.id }))).toEqual([
      { apiTokenIds: [first.record.id] },
    ]);
    const [event] = await during(() => revokeUserApiTokens(server.ctx, CLI_ACTOR, { userId: u.id }));
    expect(event.apiTokenIds?.toSorted()).toEqual([second.record.id, third.record.id].toSorted());
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(await during(() => revokeApiToken(server.ctx, CLI_ACTOR, { id: unknown }))).toEqual([]);
  });

  it('asks to re-check a user who is disabled or changes role, and not for other updates', async () => {
    const u = await user('editor');
    const s = await startSession(server.ctx, u.email, PASSWORD);
    expect(await during(() => updateUser(server.ctx, CLI_ACTOR, { id: u.id, role: 'viewer' }))).toEqual([
      { userId: u.id },
    ]);
    expect(await during(() => updateUser(server.ctx, CLI_ACTOR, { id: u.id, role: 'viewer' }))).toEqual([]);
    expect(await during(() => updateUser(server.ctx, CLI_ACTOR, { id: u.id, disabled: true }))).toEqual([
      { sessionIds: [s.sessionId] },
      { userId: u.id },
    ]);
  });
});
