/**
 * Enrolment tokens and API tokens over GraphQL: mint / create (the secret once), list, revoke,
 * and the tokens working where they are used (enrolment, Authorization: Bearer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolBody, postJson } from '../helpers/factories.ts';
import { createTestUser, gql, gqlData, type TestUser } from './helpers.ts';

let server: TestServer;
let admin: TestUser;
let editor: TestUser;
beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_ENROL_RATE_LIMIT: '1000' } });
  [admin, editor] = await Promise.all([
    createTestUser(server.ctx, 'admin'),
    createTestUser(server.ctx, 'editor'),
  ]);
});
afterAll(() => server.close());

const ERROR = '... on Error { __typename code fields { path } }';
const MINT = `mutation($input: MintEnrolmentTokenInput!) {
  mintEnrolmentToken(input: $input) { __typename ... on MintEnrolmentTokenPayload { token enrolmentToken { id prefix maxUses usesLeft active group { slug } } } ${ERROR} }
}`;
const REVOKE = `mutation($input: RevokeEnrolmentTokenInput!) {
  revokeEnrolmentToken(input: $input) { __typename ... on RevokeEnrolmentTokenPayload { enrolmentToken { active revokedAt } } ${ERROR} }
}`;

describe('enrolment tokens', () => {
  it('mints a token that enrols hosts, lists it without the secret, and revokes it', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const run = (q: string, v: Record<string, unknown>) =>
      gqlData(server.baseUrl, q, v, { token: editor.token });
    const { mintEnrolmentToken: minted } = await run(MINT, {
      input: { groupId: group.id, maxUses: 2, ttlSeconds: 3600 },
    });
    expect(minted.token).toMatch(/^EBT_/);
    expect(minted.enrolmentToken).toMatchObject({
      maxUses: 2,
      usesLeft: 2,
      active: true,
      group: { slug: group.slug },
    });
    expect(minted.token.startsWith(minted.enrolmentToken.prefix)).toBe(true);
    expect((await postJson(server.baseUrl + paths.enrol, enrolBody(minted.token))).status).toBe(201);

    const LIST = `query($groupId: ID) { enrolmentTokens(groupId: $groupId, activeOnly: true) { totalCount edges { node { id uses usesLeft createdBy } } } }`;
    const { enrolmentTokens } = await run(LIST, { groupId: group.id });
    expect(enrolmentTokens.totalCount).toBe(1);
    expect(enrolmentTokens.edges[0].node).toEqual({
      id: minted.enrolmentToken.id,
      uses: 1,
      usesLeft: 1,
      createdBy: expect.stringContaining(editor.email),
    });
    expect(JSON.stringify(enrolmentTokens)).not.toContain(minted.token);

    const { revokeEnrolmentToken } = await run(REVOKE, { input: { id: minted.enrolmentToken.id } });
    expect(revokeEnrolmentToken.enrolmentToken).toMatchObject({
      active: false,
      revokedAt: expect.any(String),
    });
    expect((await postJson(server.baseUrl + paths.enrol, enrolBody(minted.token))).status).toBe(401);
    expect((await run(LIST, { groupId: group.id })).enrolmentTokens.totalCount).toBe(0);
  });

  it('mints a token that lets hosts choose their group only when asked to', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const other = await createGroupWithPipeline(server.ctx);
    const run = (q: string, v: Record<string, unknown>) =>
      gqlData(server.baseUrl, q, v, { token: editor.token });
    const OVERRIDE = `mutation($input: MintEnrolmentTokenInput!) {
      mintEnrolmentToken(input: $input) { ... on MintEnrolmentTokenPayload { token enrolmentToken { allowGroupOverride } } }
    }`;
    const base = { groupId: group.id, maxUses: 2, ttlSeconds: 3600 };
    const plain = (await run(OVERRIDE, { input: base })).mintEnrolmentToken;
    const open = (await run(OVERRIDE, { input: { ...base, allowGroupOverride: true } })).mintEnrolmentToken;
    expect([plain.enrolmentToken.allowGroupOverride, open.enrolmentToken.allowGroupOverride]).toEqual([
      false,
      true,
    ]);
    const elsewhere = (token: string) =>
      postJson(server.baseUrl + paths.enrol, enrolBody(token, { groupSlug: other.slug }));
    expect((await elsewhere(plain.token)).status).toBe(403);
    expect((await elsewhere(open.token)).status).toBe(201);
  });

  it('answers ValidationError naming the field and NotFoundError for unknown groups and tokens', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const run = (q: string, v: Record<string, unknown>) =>
      gqlData(server.baseUrl, q, v, { token: editor.token });
    const bad = await run(MINT, { input: { groupId: group.id, maxUses: 0, ttlSeconds: 3600 } });
    expect(bad.mintEnrolmentToken).toMatchObject({
      __typename: 'ValidationError',
      fields: [{ path: 'maxUses' }],
    });
    const missing = await run(MINT, {
      input: { groupId: '00000000-0000-4000-8000-000000000000', maxUses: 1, ttlSeconds: 3600 },
    });
    expect(missing.mintEnrolmentToken).toMatchObject({
      __typename: 'NotFoundError',
      code: 'group_not_found',
    });
    const unknown = await run(REVOKE, { input: { id: '00000000-0000-4000-8000-000000000000' } });
    expect(unknown.revokeEnrolmentToken).toMatchObject({
      __typename: 'NotFoundError',
      code: 'token_not_found',
    });
  });
});

describe('API tokens', () => {
  const CREATE = `mutation($input: CreateApiTokenInput!) {
    createApiToken(input: $input) { __typename ... on CreateApiTokenPayload { token apiToken { id name prefix role user { email } } } ${ERROR} }
  }`;
  const run = (q: string, v: Record<string, unknown> = {}) =>
    gqlData(server.baseUrl, q, v, { token: admin.token });

  it('creates a token for a user (the secret once) that then authenticates, lists and revokes it', async () => {
    const { createApiToken } = await run(CREATE, {
      input: { email: editor.email, name: 'ci', role: 'viewer', ttlDays: 30 },
    });
    expect(createApiToken).toMatchObject({
      __typename: 'CreateApiTokenPayload',
      apiToken: { name: 'ci', role: 'viewer', user: { email: editor.email } },
    });
    const secret = createApiToken.token as string;
    expect(secret).toMatch(/^FLT_/);
    const me = await gqlData(server.baseUrl, '{ viewer { role authMethod } }', {}, { token: secret });
    expect(me.viewer).toEqual({ role: 'viewer', authMethod: 'api_token' });

    const { apiTokens } = await run(
      `query($userId: ID) { apiTokens(userId: $userId) { totalCount edges { node { id name lastUsedAt expiresAt } } } }`,
      {
        userId: editor.id,
      },
    );
    expect(apiTokens.edges.map((e: { node: { name: string } }) => e.node.name)).toContain('ci');
    expect(JSON.stringify(apiTokens)).not.toContain(secret);

    const REVOKE_API = `mutation($input: RevokeApiTokenInput!) { revokeApiToken(input: $input) { __typename ... on RevokeApiTokenPayload { apiToken { revokedAt } } ${ERROR} } }`;
    const { revokeApiToken } = await run(REVOKE_API, { input: { id: createApiToken.apiToken.id } });
    expect(revokeApiToken.apiToken.revokedAt).toEqual(expect.any(String));
    expect((await gql(server.baseUrl, '{ viewer { role } }', {}, { token: secret })).status).toBe(401);
    const unknown = await run(REVOKE_API, { input: { id: '00000000-0000-4000-8000-000000000000' } });
    expect(unknown.revokeApiToken).toMatchObject({ __typename: 'NotFoundError', code: 'token_not_found' });
  });

  it('revokes every API token of a user in one audited action; they survive a password reset until then', async () => {
    const user = await createTestUser(server.ctx, 'editor');
    const second = (await run(CREATE, { input: { userId: user.id, name: 'second' } })).createApiToken
      .token as string;
    const RESET = `mutation($input: ResetUserPasswordInput!) { resetUserPassword(input: $input) { __typename } }`;
    await run(RESET, { input: { email: user.email, password: 'a brand new long password' } });
    for (const token of [user.token, second]) {
      expect((await gql(server.baseUrl, '{ viewer { role } }', {}, { token })).status).toBe(200);
    }
    const REVOKE_ALL = `mutation($input: RevokeUserApiTokensInput!) { revokeUserApiTokens(input: $input) { __typename ... on RevokeUserApiTokensPayload { revokedCount } ${ERROR} } }`;
    const { revokeUserApiTokens } = await run(REVOKE_ALL, { input: { userId: user.id } });
    expect(revokeUserApiTokens).toEqual({ __typename: 'RevokeUserApiTokensPayload', revokedCount: 2 });
    for (const token of [user.token, second]) {
      expect((await gql(server.baseUrl, '{ viewer { role } }', {}, { token })).status).toBe(401);
    }
    expect((await gql(server.baseUrl, '{ viewer { role } }', {}, { token: admin.token })).status).toBe(200);
    const audit = await server.ctx.db.auditEvent.findFirstOrThrow({
      where: { action: 'api_token.revoke_all', targetId: user.id },
    });
    expect(audit.after).toMatchObject({ revoked: 2 });
    expect(audit.actorLabel).toContain(admin.email);
    const again = await run(REVOKE_ALL, { input: { userId: user.id } });
    expect(again.revokeUserApiTokens.revokedCount).toBe(0);
    const nobody = await run(REVOKE_ALL, { input: { userId: '00000000-0000-4000-8000-000000000000' } });
    expect(nobody.revokeUserApiTokens).toMatchObject({ __typename: 'NotFoundError', code: 'user_not_found' });
  });

  it('refuses a role above the user’s (ValidationError on role) and unknown users (NotFoundError)', async () => {
    const above = await run(CREATE, { input: { userId: editor.id, name: 'too much', role: 'admin' } });
    expect(above.createApiToken).toMatchObject({ __typename: 'ValidationError', fields: [{ path: 'role' }] });
    const nobody = await run(CREATE, { input: { email: 'nobody@example.com', name: 'x' } });
    expect(nobody.createApiToken).toMatchObject({ __typename: 'NotFoundError', code: 'user_not_found' });
  });
});
