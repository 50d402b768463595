/**
 * Upgrade rollouts over GraphQL: a viewer previews (agents on the release, offline ones and what
 * happens to them, per-stage counts) but cannot start one; an editor starts it and gets the
 * rollout (kind upgrade, revertOnFailure off); an unknown release is a NotFoundError.
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
const PREVIEW = `query($groupId: ID!, $release: String!, $plan: RolloutPlanInput) {
  upgradeRolloutPreview(groupId: $groupId, release: $release, plan: $plan) { __typename ${ERROR}
    ... on UpgradeRolloutPreviewPayload { preview { agents onRelease offline offlineOutcome stages { index size offline onRelease hostnames } } } } }`;
const START = `mutation($input: StartUpgradeRolloutInput!) { startUpgradeRollout(input: $input) { __typename ${ERROR}
  ... on StartUpgradeRolloutPayload { rollout { id kind release state stage plan { revertOnFailure } stages { size reached applied } } } } }`;
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
      stage: 0,
      plan: { revertOnFailure: false },
    });
    const actions = await server.ctx.db.action.count({
      where: { bulkId: started.startUpgradeRollout.rollout.id, type: 'upgrade_agent' },
    });
    expect(actions).toBeGreaterThan(0);
  }, 60_000);
});
