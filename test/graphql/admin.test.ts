/**
 * Users and the audit log (admin), the fleet summary, the Vector component catalogue and agent
 * releases over GraphQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
} from '../helpers/factories.ts';
import { createTestUser, gql, gqlData, loginCookie, type TestUser } from './helpers.ts';

let server: TestServer;
let admin: TestUser;
let viewer: TestUser;
beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_ENROL_RATE_LIMIT: '1000' } });
  [admin, viewer] = await Promise.all([
    createTestUser(server.ctx, 'admin'),
    createTestUser(server.ctx, 'viewer'),
  ]);
});
afterAll(() => server.close());

const asAdmin = (q: string, v: Record<string, unknown> = {}) =>
  gqlData(server.baseUrl, q, v, { token: admin.token });
const asViewer = (q: string, v: Record<string, unknown> = {}) =>
  gqlData(server.baseUrl, q, v, { token: viewer.token });
const ERROR = '... on Error { __typename code fields { path } }';

describe('users', () => {
  const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { __typename ... on CreateUserPayload { user { id email role disabled } } ${ERROR} } }`;
  const UPDATE = `mutation($input: UpdateUserInput!) { updateUser(input: $input) { __typename ... on UpdateUserPayload { user { role disabled disabledAt } } ${ERROR} } }`;
  const RESET = `mutation($input: ResetUserPasswordInput!) { resetUserPassword(input: $input) { __typename ... on ResetUserPasswordPayload { user { email } } ${ERROR} } }`;

  it('creates, lists, changes the role of, disables and resets the password of a user', async () => {
    const email = `ops-${Date.now()}@example.com`;
    const { createUser } = await asAdmin(CREATE, {
      input: { email, role: 'viewer', password: 'a long enough password' },
    });
    expect(createUser.user).toMatchObject({ email, role: 'viewer', disabled: false });
    const { users } = await asAdmin('{ users(first: 100) { totalCount edges { node { email role } } } }');
    expect(users.edges.map((e: { node: { email: string } }) => e.node.email)).toContain(email);

    const promoted = await asAdmin(UPDATE, { input: { id: createUser.user.id, role: 'editor' } });
    expect(promoted.updateUser.user).toMatchObject({ role: 'editor', disabled: false });
    const cookie = await loginCookie(server.baseUrl, email, 'a long enough password');
    const disabled = await asAdmin(UPDATE, { input: { id: createUser.user.id, disabled: true } });
    expect(disabled.updateUser.user).toMatchObject({ disabled: true, disabledAt: expect.any(String) });
    expect((await gqlData(server.baseUrl, '{ viewer { role } }', {}, { cookie })).viewer).toBeNull();

    await asAdmin(UPDATE, { input: { id: createUser.user.id, disabled: false } });
    const reset = await asAdmin(RESET, { input: { email, password: 'another long password' } });
    expect(reset.resetUserPassword.user.email).toBe(email);
    expect(await loginCookie(server.baseUrl, email, 'another long password')).toMatch(/^flotilla_session=/);
  });

  it('answers ValidationError, ConflictError and NotFoundError', async () => {
    const short = await asAdmin(CREATE, {
      input: { email: 'x@example.com', role: 'viewer', password: 'short' },
    });
    expect(short.createUser).toMatchObject({ __typename: 'ValidationError', fields: [{ path: 'password' }] });
    const taken = await asAdmin(CREATE, {
      input: { email: viewer.email, role: 'viewer', password: 'a long enough password' },
    });
    expect(taken.createUser).toMatchObject({ __typename: 'ConflictError', fields: [{ path: 'email' }] });
    const missing = await asAdmin(UPDATE, {
      input: { id: '00000000-0000-4000-8000-000000000000', role: 'admin' },
    });
    expect(missing.updateUser).toMatchObject({ __typename: 'NotFoundError', code: 'user_not_found' });
    const nobody = await asAdmin(RESET, {
      input: { email: 'nobody@example.com', password: 'a long enough password' },
    });
    expect(nobody.resetUserPassword).toMatchObject({ __typename: 'NotFoundError', code: 'user_not_found' });
  });
});

describe('audit events', () => {
  it('lists changes newest first with actor and snapshots, filtered by action and target', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    await asAdmin(`mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { __typename } }`, {
      input: { id: group.id, description: 'audited' },
    });
    const { auditEvents } = await asAdmin(
      `query($id: String) { auditEvents(first: 10, filter: { targetType: "group", targetId: $id }) {
        totalCount edges { node { action actorType actorLabel before after createdAt } } } }`,
      { id: group.id },
    );
    expect(auditEvents.edges.map((e: { node: { action: string } }) => e.node.action)).toEqual([
      'group.update',
      'pipeline.apply',
      'group.create',
    ]);
    expect(auditEvents.edges[0].node).toMatchObject({
      actorType: 'api_token',
      after: { description: 'audited' },
    });
    expect(auditEvents.edges[0].node.actorLabel).toContain(admin.email);
    const { auditEvents: byAction } = await asAdmin(
      '{ auditEvents(filter: { actions: ["session.start"] }) { totalCount } }',
    );
    expect(byAction.totalCount).toBeGreaterThan(0);
  });
});

describe('fleet summary', () => {
  it('counts agents by status, version, config status and group, for the fleet or one group', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const token = await mintToken(server.ctx, group.id);
    const upToDate = await enrolOverHttp(server.baseUrl, token, { agentVersion: '0.2.0' });
    await enrolOverHttp(server.baseUrl, token);
    await postJson(
      server.baseUrl + paths.heartbeat(upToDate.agentId),
      heartbeatBody({ appliedConfigVersion: group.configVersion, agentVersion: '0.2.0' }),
      upToDate.agentToken,
    );
    await server.app.heartbeats.flush();
    const QUERY = `query($groupId: ID) { fleetSummary(groupId: $groupId) { groupId agents online offline neverSeen upToDate behind failed
      agentVersions { version count } vectorVersions { version count }
      groups { groupId slug configVersion agents online neverSeen upToDate behind failed } } }`;
    const { fleetSummary } = await asViewer(QUERY, { groupId: group.id });
    expect(fleetSummary).toMatchObject({
      groupId: group.id,
      agents: 2,
      online: 1,
      offline: 0,
      neverSeen: 1,
      upToDate: 1,
      behind: 1,
      failed: 0,
    });
    expect(fleetSummary.agentVersions).toEqual([
      { version: '0.1.0', count: 1 },
      { version: '0.2.0', count: 1 },
    ]);
    expect(fleetSummary.groups).toEqual([
      {
        groupId: group.id,
        slug: group.slug,
        configVersion: group.configVersion,
        agents: 2,
        online: 1,
        neverSeen: 1,
        upToDate: 1,
        behind: 1,
        failed: 0,
      },
    ]);
    const { fleetSummary: whole } = await asViewer(QUERY, {});
    expect(whole.groupId).toBeNull();
    expect(whole.agents).toBeGreaterThanOrEqual(2);
    expect(whole.groups.length).toBeGreaterThanOrEqual(1);
  });
});

describe('catalogue and releases', () => {
  it('lists Vector components with option schemas for forms', async () => {
    const { vectorComponents } = await asViewer(
      '{ vectorComponents(kind: sink) { type kind platforms options { name types required enum default } } }',
    );
    const types = vectorComponents.map((c: { type: string }) => c.type);
    expect(types).toContain('console');
    expect(types).toEqual([...types].sort());
    const { vectorComponent } =
      await asViewer(`{ vectorComponent(kind: sink, type: "console") { type required requiredOneOf { options }
      options { name types required enum } } }`);
    const codec = vectorComponent.options.find((o: { name: string }) => o.name === 'encoding.codec');
    expect(codec).toMatchObject({ types: ['string'], enum: expect.arrayContaining(['json']) });
    expect(
      (await asViewer('{ vectorComponent(kind: source, type: "nope") { type } }')).vectorComponent,
    ).toBeNull();
  });

  it('lists agent releases newest first', async () => {
    await registerRelease(server.ctx, { version: '0.4.0', bundle: Buffer.from('agent 0.4.0') });
    const { agentReleases } = await asViewer('{ agentReleases { version sha256 size } }');
    expect(agentReleases).toContainEqual({
      version: '0.4.0',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      size: 11,
    });
  });

  it('keeps the audit log from viewers', async () => {
    const res = await gql(server.baseUrl, '{ auditEvents { totalCount } }', {}, { token: viewer.token });
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
