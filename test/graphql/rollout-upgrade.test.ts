/**
 * Upgrade rollouts over GraphQL: a viewer previews (agents on the release, offline ones and what
 * happens to them, per-stage counts) but cannot start one; an editor starts it and gets the
 * rollout (kind upgrade, revertOnFailure off); an unknown release is a NotFoundError. The same over
 * a selection of agents (ids or a filter, as the agents list's bulk upgrade gives it): group null,
 * the selection stored; two targets are a ValidationError.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerRelease } from '../../api/fleet/releases.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { groupWithAgents } from '../helpers/rollouts.ts';
import { createTestUser, gql, gqlData, type TestUser } from './helpers.ts';

let server: TestServer;
let editor: TestUser;
let viewer: TestUser;
const now = new Date('2026-12-06T10:00:00Z');
beforeAll(async () => {
  server = await startTestServer({ clock: () => now, env: { FLOTILLA_ROLLOUT_INTERVAL_MS: '600000' } });
  editor = await createTestUser(server.ctx, 'editor');
  viewer = await createTestUser(server.ctx, 'viewer');
  await registerRelease(server.ctx, { version: '2.0.0', bundle: Buffer.from('// agent 2.0.0\n') });
});
afterAll(() => server.close());

const as = (user: TestUser) => ({ token: user.token });
const ERROR = '... on Error { __typename code message }';
const PREVIEW = `query($groupId: ID, $agentIds: [ID!], $filter: AgentFilter, $release: String!, $plan: RolloutPlanInput) {
  upgradeRolloutPreview(groupId: $groupId, agentIds: $agentIds, filter: $filter, release: $release, plan: $plan) { __typename ${ERROR}
    ... on UpgradeRolloutPreviewPayload { preview { agents onRelease offline offlineOutcome stages { index size offline onRelease hostnames } } } } }`;
const START = `mutation($input: StartUpgradeRolloutInput!) { startUpgradeRollout(input: $input) { __typename ${ERROR}
  ... on StartUpgradeRolloutPayload { rollout { id kind release state stage group { id } selection plan { revertOnFailure } stages { size reached applied } } } } }`;
const PLAN = { stages: [{ count: 2 }, { percent: 100 }], revertOnFailure: true };

describe('upgrade rollouts over GraphQL', () => {
  it('previews for viewers, starts for editors only, and names an unknown release', async () => {
    const { group, agentIds } = await groupWithAgents(server.ctx, 6);
    await server.ctx.db.agent.update({ where: { id: agentIds[0] }, data: { agentVersion: '2.0.0' } });
    await server.ctx.db.agent.update({ where: { id: agentIds[1] }, data: { lastHeartbeatAt: null } });
    const vars = { groupId: group.id, release: '2.0.0', plan: PLAN };
    const { upgradeRolloutPreview } = await gqlData(server.baseUrl, PREVIEW, vars, as(viewer));
    const preview = upgradeRolloutPreview.preview;
    expect(preview).toMatchObject({ agents: 6, onRelease: 1, offline: 1 });
    expect(preview.offlineOutcome).toMatch(/waits for them/);
    expect(preview.stages.map((s: { size: number }) => s.size)).toEqual([2, 4]);
    expect(preview.stages.reduce((n: number, s: { onRelease: number }) => n + s.onRelease, 0)).toBe(1);

    const unknown = await gqlData(server.baseUrl, PREVIEW, { ...vars, release: '9.9.9' }, as(viewer));
    expect(unknown.upgradeRolloutPreview).toMatchObject({
      __typename: 'NotFoundError',
      code: 'release_not_found',
    });

    const denied = await gql(server.baseUrl, START, { input: vars }, as(viewer));
    expect(denied.errors?.length).toBeGreaterThan(0);
    expect(await server.ctx.db.rollout.count({ where: { groupId: group.id, kind: 'upgrade' } })).toBe(0);

    const started = await gqlData(server.baseUrl, START, { input: vars }, as(editor));
    expect(started.startUpgradeRollout.rollout).toMatchObject({
      kind: 'upgrade',
      release: '2.0.0',
      state: 'running',
      // Stage 0 may be done at once (when it holds only the agent on the release and the offline one).
      plan: { revertOnFailure: false },
    });
    const actions = await server.ctx.db.action.count({
      where: { bulkId: started.startUpgradeRollout.rollout.id, type: 'upgrade_agent' },
    });
    expect(actions).toBeGreaterThan(0);
  }, 60_000);

  it('previews and starts an upgrade of a selection by ids or by filter; two targets are refused', async () => {
    const { group, agentIds } = await groupWithAgents(server.ctx, 5, (i) => ({ ring: i < 4 ? 'a' : 'b' }));
    await server.ctx.db.agent.update({ where: { id: agentIds[0] }, data: { agentVersion: '2.0.0' } });
    const filter = { groupIds: [group.id], labels: [{ key: 'ring', value: 'a' }] };
    const byFilter = await gqlData(
      server.baseUrl,
      PREVIEW,
      { filter, release: '2.0.0', plan: PLAN },
      as(viewer),
    );
    expect(byFilter.upgradeRolloutPreview.preview).toMatchObject({ agents: 4, onRelease: 1, offline: 0 });
    expect(byFilter.upgradeRolloutPreview.preview.stages.map((s: { size: number }) => s.size)).toEqual([
      2, 2,
    ]);

    const both = await gqlData(
      server.baseUrl,
      START,
      { input: { groupId: group.id, agentIds, release: '2.0.0' } },
      as(editor),
    );
    expect(both.startUpgradeRollout).toMatchObject({ __typename: 'ValidationError' });

    const input = { agentIds: agentIds.slice(1, 4), release: '2.0.0', plan: PLAN };
    const started = await gqlData(server.baseUrl, START, { input }, as(editor));
    expect(started.startUpgradeRollout.rollout).toMatchObject({
      kind: 'upgrade',
      group: null,
      selection: { agentIds: 3 },
    });
    const sizes = started.startUpgradeRollout.rollout.stages.map((s: { size: number }) => s.size);
    expect(sizes).toEqual([2, 1]);
  }, 60_000);
});
