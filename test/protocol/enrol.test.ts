/** protocol.md → Enrol: POST /api/v1/agents/enrol. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { createGroup } from '../../api/fleet/groups.ts';
import { mintEnrolmentToken, revokeEnrolmentToken } from '../../api/fleet/enrolment-tokens.ts';
import { COMMANDS } from '../../api/cli/commands.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolBody, mintToken, postJson, uniqueSlug } from '../helpers/factories.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_ENROL_RATE_LIMIT: '1000' } });
});
afterAll(() => server.close());

const enrolUrl = () => server.baseUrl + paths.enrol;

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return body.error;
}

describe('enrol', () => {
  it('creates an agent and returns its id, AGT_ token, group and config version', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const token = await mintToken(server.ctx, group.id);
    const res = await postJson(enrolUrl(), enrolBody(token, { hostname: 'fw1.prod.example.com' }));
    expect(res.status).toBe(201);
    const { data } = (await res.json()) as { data: Record<string, unknown> };
    expect(data.agentToken).toMatch(/^AGT_[A-Za-z0-9_-]{43}$/);
    expect(data.groupId).toBe(group.id);
    expect(data.configVersion).toBe(group.configVersion);
    const agent = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: data.agentId as string } });
    expect(agent.hostname).toBe('fw1.prod.example.com');
    expect(agent.tokenHash).not.toContain('AGT_');
  });

  it('enrols into the token’s own group; another groupSlug gets 403 whether or not it exists', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const other = await createGroup(server.ctx, CLI_ACTOR, { slug: uniqueSlug('other'), name: 'Other' });
    const token = await mintToken(server.ctx, group.id, 5);
    const own = await postJson(enrolUrl(), enrolBody(token, { groupSlug: group.slug }));
    expect(own.status).toBe(201);
    expect(((await own.json()) as { data: { groupId: string } }).data.groupId).toBe(group.id);
    const existing = await postJson(enrolUrl(), enrolBody(token, { groupSlug: other.slug }));
    const missing = await postJson(enrolUrl(), enrolBody(token, { groupSlug: 'no-such-group' }));
    expect([existing.status, missing.status]).toEqual([403, 403]);
    const [a, b] = [await errorOf(existing), await errorOf(missing)];
    expect(a).toEqual(b);
    expect(a.code).toBe('group_override_forbidden');
    expect(await server.ctx.db.agent.count({ where: { groupId: other.id } })).toBe(0);
    const used = await server.ctx.db.enrolmentToken.findFirstOrThrow({ where: { groupId: group.id } });
    expect(used.uses).toBe(1);
  });

  it('enrols into groupSlug with a token minted to allow it, and answers 404 for an unknown slug', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const other = await createGroup(server.ctx, CLI_ACTOR, { slug: uniqueSlug('other'), name: 'Other' });
    const { token, record } = await mintEnrolmentToken(server.ctx, CLI_ACTOR, {
      groupId: group.id,
      maxUses: 5,
      ttlSeconds: 3600,
      allowGroupOverride: true,
    });
    const moved = await postJson(enrolUrl(), enrolBody(token, { groupSlug: other.slug }));
    expect(moved.status).toBe(201);
    expect(((await moved.json()) as { data: { groupId: string } }).data.groupId).toBe(other.id);
    const missing = await postJson(enrolUrl(), enrolBody(token, { groupSlug: 'no-such-group' }));
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe('group_not_found');
    expect((await server.ctx.db.enrolmentToken.findUniqueOrThrow({ where: { id: record.id } })).uses).toBe(1);
    const audit = await server.ctx.db.auditEvent.findFirstOrThrow({
      where: { action: 'enrolment_token.mint', targetId: record.id },
    });
    expect(audit.after).toMatchObject({ allowGroupOverride: true });
  });

  it('CLI token mint: --allow-group-override decides whether groupSlug may name another group', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const other = await createGroup(server.ctx, CLI_ACTOR, { slug: uniqueSlug('other'), name: 'Other' });
    const mint = async (...extra: string[]) => {
      const lines: string[] = [];
      const args = ['--group', group.slug, '--max-uses', '1', '--ttl', '1h', ...extra];
      await COMMANDS['token mint'](server.ctx, args, {
        print: (line) => void lines.push(line),
        readSecret: () => Promise.reject(new Error('no secret is read')),
      });
      return lines[0];
    };
    const [plain, open] = [await mint(), await mint('--allow-group-override')];
    const elsewhere = (token: string) => postJson(enrolUrl(), enrolBody(token, { groupSlug: other.slug }));
    expect((await elsewhere(plain)).status).toBe(403);
    expect((await elsewhere(open)).status).toBe(201);
  });

  it('answers 401 for unknown, revoked, expired and exhausted bootstrap tokens', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const unknown = await postJson(enrolUrl(), enrolBody('EBT_nope'));
    expect(unknown.status).toBe(401);
    expect((await errorOf(unknown)).code).toBe('bootstrap_token_invalid');

    const single = await mintToken(server.ctx, group.id, 1);
    expect((await postJson(enrolUrl(), enrolBody(single))).status).toBe(201);
    const exhausted = await postJson(enrolUrl(), enrolBody(single));
    expect(exhausted.status).toBe(401);
    expect((await errorOf(exhausted)).code).toBe('bootstrap_token_exhausted');

    const revokedToken = await mintToken(server.ctx, group.id, 5);
    const record = await server.ctx.db.enrolmentToken.findFirstOrThrow({
      where: { groupId: group.id, uses: 0 },
    });
    await revokeEnrolmentToken(server.ctx, CLI_ACTOR, { id: record.id });
    const revoked = await postJson(enrolUrl(), enrolBody(revokedToken));
    expect(revoked.status).toBe(401);
    expect((await errorOf(revoked)).code).toBe('bootstrap_token_invalid');

    const expiring = await mintToken(server.ctx, group.id, 5, 60);
    await server.ctx.db.enrolmentToken.updateMany({
      where: { groupId: group.id, uses: 0, revokedAt: null },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const expired = await postJson(enrolUrl(), enrolBody(expiring));
    expect(expired.status).toBe(401);
    expect((await errorOf(expired)).code).toBe('bootstrap_token_expired');
  });

  it('answers 400 naming the field for a body that does not validate, and writes nothing', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const token = await mintToken(server.ctx, group.id, 3);
    const before = await server.ctx.db.agent.count();
    const res = await postJson(enrolUrl(), { ...enrolBody(token), platform: 'windows' });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('invalid_body');
    expect(error.message).toContain('platform');
    const notJson = await fetch(enrolUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(notJson.status).toBe(400);
    expect(await server.ctx.db.agent.count()).toBe(before);
  });

  it('ignores unknown extra fields', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const token = await mintToken(server.ctx, group.id);
    const res = await postJson(enrolUrl(), { ...enrolBody(token), futureField: { nested: true } });
    expect(res.status).toBe(201);
  });

  it('yields exactly maxUses agents from 50 concurrent enrolments on one token', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const token = await mintToken(server.ctx, group.id, 10);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => postJson(enrolUrl(), enrolBody(token))),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 401)).toHaveLength(40);
    expect(await server.ctx.db.agent.count({ where: { groupId: group.id } })).toBe(10);
  });
});
