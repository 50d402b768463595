/**
 * runMutation and useMutation against the real server on port 0, through a real urql client: the
 * payload on success, typed errors (through the MutationError fragment) with their codes and field
 * errors, permission and network failures in words, and a form's state across runs.
 */
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, fetchExchange } from '@urql/core';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createTestUser } from '../graphql/helpers.ts';
import { runMutation, useMutation } from '../../web/src/composables/useMutation.ts';
import { CreateGroupMutation, DeleteGroupMutation } from '../../web/src/graphql/groups.ts';

let server: TestServer;
let editor: Client;
let viewer: Client;

const clientFor = (url: string, token: string) =>
  new Client({
    url: `${url}/graphql`,
    exchanges: [fetchExchange],
    fetchOptions: { headers: { authorization: `Bearer ${token}`, 'x-flotilla-csrf': '1' } },
  });

beforeAll(async () => {
  server = await startTestServer();
  editor = clientFor(server.baseUrl, (await createTestUser(server.ctx, 'editor')).token);
  viewer = clientFor(server.baseUrl, (await createTestUser(server.ctx, 'viewer')).token);
});
afterAll(() => server?.close());

/** The URL of a port nothing listens on (bound on port 0, then closed). */
async function closedPort(): Promise<string> {
  const socket = net.createServer();
  await new Promise<void>((resolve) => socket.listen(0, '127.0.0.1', resolve));
  const { port } = socket.address() as AddressInfo;
  await new Promise((resolve) => socket.close(resolve));
  return `http://127.0.0.1:${port}`;
}

const group = (slug: string) => ({ input: { name: `Group ${slug}`, slug, description: '' } });

describe('runMutation', () => {
  it('resolves the payload branch on success', async () => {
    const outcome = await runMutation(editor, CreateGroupMutation, group('web'));
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.payload.__typename).toBe('CreateGroupPayload');
    expect(outcome.payload.group.slug).toBe('web');
  });

  it('resolves a payload that selects nothing but its __typename', async () => {
    const created = await runMutation(editor, CreateGroupMutation, group('short-lived'));
    if (!created.ok) throw new Error(created.message);
    const outcome = await runMutation(editor, DeleteGroupMutation, {
      input: { id: created.payload.group.id },
    });
    expect(outcome).toEqual({ ok: true, payload: { __typename: 'DeleteGroupPayload' } });
  });

  it('reads code, message and field errors of a typed error', async () => {
    await runMutation(editor, CreateGroupMutation, group('taken'));
    const outcome = await runMutation(editor, CreateGroupMutation, group('taken'));
    expect(outcome).toMatchObject({ ok: false, code: 'conflict' });
    if (outcome.ok) return;
    expect(outcome.fieldErrors.slug).toMatch(/already taken/);
    expect(outcome.message).not.toBe('');
  });

  it('describes a permission failure by the role', async () => {
    const outcome = await runMutation(viewer, CreateGroupMutation, group('not-mine'));
    expect(outcome).toMatchObject({ ok: false, code: null, fieldErrors: {} });
    if (!outcome.ok) expect(outcome.message).toMatch(/^Your role does not allow this\./);
  });

  it('describes an unreachable server without rejecting', async () => {
    const outcome = await runMutation(
      clientFor(await closedPort(), 'FLT_x'),
      CreateGroupMutation,
      group('x'),
    );
    expect(outcome).toMatchObject({ ok: false, code: null });
    if (!outcome.ok) expect(outcome.message).toMatch(/Cannot reach the Flotilla server/);
  });
});

describe('useMutation', () => {
  it('puts field errors on their fields, then clears them on the next successful run', async () => {
    const form = useMutation({ client: editor });
    expect(await form.run(CreateGroupMutation, group('Not A Slug!'))).toBeNull();
    expect(form.fieldErrors.value.slug).toBeTruthy();
    expect(form.message.value).toBeTruthy();
    expect(form.pending.value).toBe(false);

    const running = form.run(CreateGroupMutation, group('form-ok'));
    expect(form.pending.value).toBe(true);
    expect(form.message.value).toBeNull();
    const payload = await running;
    expect(payload?.group.slug).toBe('form-ok');
    expect(form.fieldErrors.value).toEqual({});
    expect(form.pending.value).toBe(false);
  });

  it('forgets a failure on clear()', async () => {
    const form = useMutation({ client: viewer });
    await form.run(CreateGroupMutation, group('again'));
    expect(form.message.value).toMatch(/role/);
    form.clear();
    expect(form.message.value).toBeNull();
    expect(form.fieldErrors.value).toEqual({});
  });
});
