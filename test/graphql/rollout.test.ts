/**
 * Rollouts over GraphQL: an editor previews a plan, saves it as the group default and publishes
 * with a plan (the result carries the rollout and the one it superseded); viewers read a rollout's
 * plan, stages, gates and agents but cannot control it; controls move the state machine and a
 * forbidden move is an InvalidTransitionError; rolloutUpdated reports changes live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentYaml } from '../../api/fleet/pipeline/code.ts';
import { publishedDocument } from '../../api/fleet/publish.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { groupWithAgents, report } from '../helpers/rollouts.ts';
import { createTestUser, gql, gqlData, subscribe, wsClient, type TestUser } from './helpers.ts';

let server: TestServer;
let editor: TestUser;
let viewer: TestUser;
const now = new Date('2026-12-06T10:00:00Z');
beforeAll(async () => {
  server = await startTestServer({ clock: () => now, env: { FLOTILLA_ROLLOUT_INTERVAL_MS: '600000' } });
  editor = await createTestUser(server.ctx, 'editor');
  viewer = await createTestUser(server.ctx, 'viewer');
});
afterAll(() => server.close());

const as = (user: TestUser) => ({ token: user.token });
const ERROR = '... on Error { __typename code message fields { path message } }';
const ROLLOUT = `id state stage version previousVersion reason active
  plan { stages { count percent selector { key value } } soakSeconds maxInFlight { count percent } gates { applyFailedRatio silentAfterHeartbeats componentErrorRate } revertOnFailure newAgents }
  stages { index size reached applied failed silent inFlight waiting }
  gates { signal value threshold ok }
  supersedes { id state }`;
const APPLY = `mutation($input: ApplyPipelineInput!) { applyPipeline(input: $input) {
  __typename ${ERROR} ... on ApplyPipelinePayload { result { created version { version rollout { ${ROLLOUT} } } } } } }`;
const PREVIEW = `query($groupId: ID!, $plan: RolloutPlanInput) { rolloutPreview(groupId: $groupId, plan: $plan) {
  __typename ${ERROR} ... on RolloutPreviewPayload { preview { agents stages { index size offline hostnames } } } } }`;
const SET_PLAN = `mutation($input: SetGroupRolloutPlanInput!) { setGroupRolloutPlan(input: $input) {
  __typename ${ERROR} ... on SetGroupRolloutPlanPayload { group { rolloutPlan { stages { count percent } soakSeconds } } } } }`;
const control = (
  name: string,
) => `mutation($input: ${name[0].toUpperCase()}${name.slice(1)}Input!) { ${name}(input: $input) {
  __typename ${ERROR} ... on ${name[0].toUpperCase()}${name.slice(1)}Payload { rollout { id state stage reason } } } }`;
const AGENTS = `query($id: ID!, $state: RolloutAgentState, $after: ID) { rollout(id: $id) {
  agents(stage: 0, state: $state, first: 1, after: $after) { totalCount hasNextPage endCursor nodes { hostname state reason agent { id } } } } }`;

const PLAN = { stages: [{ count: 2 }, { percent: 100 }], soakSeconds: 600 };

async function apply(groupId: string, plan: unknown, n: number) {
  const { components } = await publishedDocument(server.ctx.db, groupId);
  const yaml = documentYaml({
    components: components.map((c) => (c.id === 'demo' ? { ...c, options: { ...c.options, count: n } } : c)),
  });
  return gql(server.baseUrl, APPLY, { input: { groupId, yaml, message: `change ${n}`, plan } }, as(editor));
}

describe('rollouts over GraphQL', () => {
  it('previews, saves a default plan, publishes staged, supersedes, and is controlled by editors only', async () => {
    const { group } = await groupWithAgents(server.ctx, 6);
    const preview = await gqlData(server.baseUrl, PREVIEW, { groupId: group.id, plan: PLAN }, as(viewer));
    expect(preview.rolloutPreview.preview.agents).toBe(6);
    expect(preview.rolloutPreview.preview.stages.map((s: { size: number }) => s.size)).toEqual([2, 4]);

    const bad = await gqlData(
      server.baseUrl,
      PREVIEW,
      { groupId: group.id, plan: { stages: [{ count: 1 }] } },
      as(viewer),
    );
    expect(bad.rolloutPreview).toMatchObject({ __typename: 'ValidationError', code: 'validation_failed' });
    expect(bad.rolloutPreview.fields[0].path).toBe('plan.stages.0');

    const denied = await gql(
      server.baseUrl,
      SET_PLAN,
      { input: { groupId: group.id, plan: PLAN } },
      as(viewer),
    );
    expect(denied.errors?.length).toBeGreaterThan(0);
    const saved = await gqlData(
      server.baseUrl,
      SET_PLAN,
      { input: { groupId: group.id, plan: PLAN } },
      as(editor),
    );
    expect(saved.setGroupRolloutPlan.group.rolloutPlan).toEqual({
      stages: [
        { count: 2, percent: null },
        { count: null, percent: 100 },
      ],
      soakSeconds: 600,
    });

    // No plan given: the saved default applies.
    const first = (await apply(group.id, undefined, 1)).data!.applyPipeline.result.version.rollout;
    expect(first).toMatchObject({ state: 'running', stage: 0, active: true, supersedes: null });
    expect(first.stages[0]).toMatchObject({ size: 2, reached: 2, applied: 0, inFlight: 2 });
    expect(first.plan.gates).toEqual({
      applyFailedRatio: 0.05,
      silentAfterHeartbeats: 3,
      componentErrorRate: 0.05,
    });

    const second = (
      await apply(group.id, { stages: [{ percent: 50 }, { percent: 100 }], newAgents: 'new' }, 2)
    ).data!.applyPipeline.result.version.rollout;
    expect(second.supersedes).toEqual({ id: first.id, state: 'superseded' });
    expect(second.plan.newAgents).toBe('new');

    const read = await gqlData(
      server.baseUrl,
      `query($id: ID!) { rollout(id: $id) { ${ROLLOUT} } }`,
      { id: first.id },
      as(viewer),
    );
    expect(read.rollout.reason).toContain(`superseded by version ${second.version}`);

    const forbidden = await gql(
      server.baseUrl,
      control('pauseRollout'),
      { input: { rolloutId: second.id } },
      as(viewer),
    );
    expect(forbidden.errors?.length).toBeGreaterThan(0);
    const paused = await gqlData(
      server.baseUrl,
      control('pauseRollout'),
      { input: { rolloutId: second.id } },
      as(editor),
    );
    expect(paused.pauseRollout.rollout.state).toBe('paused');
    const again = await gqlData(
      server.baseUrl,
      control('pauseRollout'),
      { input: { rolloutId: second.id } },
      as(editor),
    );
    expect(again.pauseRollout).toMatchObject({
      __typename: 'InvalidTransitionError',
      code: 'invalid_transition',
    });
    // A client may select nothing but the payload's type: the control still runs and answers.
    for (const [name, state] of [
      ['resumeRollout', 'running'],
      ['pauseRollout', 'paused'],
    ] as const) {
      const input = `${name[0].toUpperCase()}${name.slice(1)}Input`;
      const bare = await gql(
        server.baseUrl,
        `mutation($input: ${input}!) { ${name}(input: $input) { __typename } }`,
        { input: { rolloutId: second.id } },
        as(editor),
      );
      expect(bare.errors).toBeUndefined();
      expect(bare.data).toEqual({ [name]: { __typename: `${input.slice(0, -5)}Payload` } });
      expect((await server.ctx.db.rollout.findUniqueOrThrow({ where: { id: second.id } })).state).toBe(state);
    }
    const resumed = await gqlData(
      server.baseUrl,
      control('resumeRollout'),
      { input: { rolloutId: second.id } },
      as(editor),
    );
    expect(resumed.resumeRollout.rollout.state).toBe('running');
    const promoted = await gqlData(
      server.baseUrl,
      control('promoteRollout'),
      { input: { rolloutId: second.id } },
      as(editor),
    );
    expect(promoted.promoteRollout.rollout).toMatchObject({ state: 'running', stage: 1 });
    const aborted = await gqlData(
      server.baseUrl,
      control('abortRollout'),
      { input: { rolloutId: second.id } },
      as(editor),
    );
    expect(aborted.abortRollout.rollout).toMatchObject({ state: 'cancelled' });
    expect(aborted.abortRollout.rollout.reason).toContain('aborted by');
    const missing = await gqlData(
      server.baseUrl,
      control('abortRollout'),
      { input: { rolloutId: '00000000-0000-4000-8000-000000000000' } },
      as(editor),
    );
    expect(missing.abortRollout).toMatchObject({ __typename: 'NotFoundError', code: 'rollout_not_found' });
  }, 120_000);

  it('lists a stage’s agents with their state, paginated and filtered', async () => {
    const { group } = await groupWithAgents(server.ctx, 5);
    const published = (
      await apply(group.id, { stages: [{ count: 3 }, { percent: 100 }], soakSeconds: 60 }, 3)
    ).data!.applyPipeline.result.version;
    const id = published.rollout.id;
    const page1 = await gqlData(server.baseUrl, AGENTS, { id }, as(viewer));
    expect(page1.rollout.agents).toMatchObject({ totalCount: 3, hasNextPage: true });
    const page2 = await gqlData(
      server.baseUrl,
      AGENTS,
      { id, after: page1.rollout.agents.endCursor },
      as(viewer),
    );
    expect(page2.rollout.agents.nodes[0].hostname).not.toBe(page1.rollout.agents.nodes[0].hostname);
    const failing = page1.rollout.agents.nodes[0].agent.id;
    await report(server.ctx, [failing], published.version, 'sink: connection refused');
    const failed = await gqlData(server.baseUrl, AGENTS, { id, state: 'failed' }, as(viewer));
    expect(failed.rollout.agents.totalCount).toBe(1);
    expect(failed.rollout.agents.nodes[0]).toMatchObject({
      state: 'failed',
      reason: 'sink: connection refused',
    });
  }, 120_000);

  it('reports rollout changes live', async () => {
    const { group } = await groupWithAgents(server.ctx, 4);
    const sub = await subscribe(
      server,
      wsClient(server.baseUrl, { token: viewer.token }),
      `subscription($g: ID) { rolloutUpdated(groupId: $g) { membershipChanged rollouts { id state version } } }`,
      { g: group.id },
    );
    const published = (await apply(group.id, PLAN, 4)).data!.applyPipeline.result.version;
    const message = await sub.next((m) =>
      m.rolloutUpdated.rollouts.some((r: { state: string }) => r.state === 'running'),
    );
    expect(message!.rolloutUpdated.rollouts[0]).toMatchObject({
      id: published.rollout.id,
      version: published.version,
    });
    await sub.close();
  }, 120_000);
});
