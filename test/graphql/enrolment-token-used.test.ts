/**
 * Mint → first agent: enrolmentTokenUsed(tokenId) delivers each agent that enrols with the token
 * over a real graphql-ws socket (published after the enrolment commits; other tokens' enrolments
 * and failed enrolments are not delivered), editors only; EnrolmentToken.agents / agentCount.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { mintEnrolmentToken } from '../../api/fleet/enrolment-tokens.ts';
import { paths } from '../../api/protocol/v1.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, enrolBody, enrolOverHttp, postJson } from '../helpers/factories.ts';
import { createTestUser, gqlData, subscribe, wsClient, type Loose, type TestUser } from './helpers.ts';

let server: TestServer;
let editor: TestUser;
let viewer: TestUser;
beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_ENROL_RATE_LIMIT: '1000' } });
  editor = await createTestUser(server.ctx, 'editor');
  viewer = await createTestUser(server.ctx, 'viewer');
});
afterAll(() => server.close());

const USED = `subscription($tokenId: ID!) {
  enrolmentTokenUsed(tokenId: $tokenId) { id hostname status group { slug } }
}`;

async function mint(groupId: string, maxUses: number) {
  return mintEnrolmentToken(server.ctx, CLI_ACTOR, { groupId, maxUses, ttlSeconds: 3600 });
}

describe('enrolmentTokenUsed', () => {
  it('delivers each agent enrolling with the token, and nothing else', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const watched = await mint(group.id, 2);
    const other = await mint(group.id, 1);
    const sub = await subscribe(server, wsClient(server.baseUrl, { token: editor.token }), USED, {
      tokenId: watched.record.id,
    });
    expect(sub.errors).toEqual([]);
    await enrolOverHttp(server.baseUrl, other.token, { hostname: 'other-1' });
    const first = await enrolOverHttp(server.baseUrl, watched.token, { hostname: 'first-1' });
    const second = await enrolOverHttp(server.baseUrl, watched.token, { hostname: 'second-1' });
    const refused = await postJson(
      server.baseUrl + paths.enrol,
      enrolBody(watched.token, { hostname: 'third-1' }),
    );
    expect(refused.status).toBe(401);
    await sub.next((m: Loose) => m.enrolmentTokenUsed.id === second.agentId);
    const seen = sub.messages.map((m: Loose) => m.enrolmentTokenUsed);
    expect(seen).toEqual([
      { id: first.agentId, hostname: 'first-1', status: 'never_seen', group: { slug: group.slug } },
      { id: second.agentId, hostname: 'second-1', status: 'never_seen', group: { slug: group.slug } },
    ]);
    await sub.close();

    const data = await gqlData(
      server.baseUrl,
      `{ enrolmentTokens(first: 50) { edges { node { id agentCount agents(first: 1) { hostname } } } } }`,
      {},
      { token: viewer.token },
    );
    const node = data.enrolmentTokens.edges
      .map((e: Loose) => e.node)
      .find((n: Loose) => n.id === watched.record.id);
    expect(node).toEqual({ id: watched.record.id, agentCount: 2, agents: [{ hostname: 'first-1' }] });
  });

  it('is for editors, and checks the token id', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const { record } = await mint(group.id, 1);
    const asViewer = await subscribe(server, wsClient(server.baseUrl, { token: viewer.token }), USED, {
      tokenId: record.id,
    });
    expect(JSON.stringify(asViewer.errors)).toContain('FORBIDDEN');
    await asViewer.close();
    const bad = await subscribe(server, wsClient(server.baseUrl, { token: editor.token }), USED, {
      tokenId: 'nope',
    });
    expect(JSON.stringify(bad.errors)).toContain('tokenId: \\"nope\\" is not an id');
    await bad.close();
  });
});
