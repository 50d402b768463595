/**
 * Subscriptions over graphql-ws: a REST heartbeat reaches agentUpdated and an action result
 * reaches actionUpdated within a second; group, membership and summary updates; one execution
 * shared by sockets with the same role and operation; and coalescing under load (few messages a
 * second, each with the latest state).
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { registerRelease } from '../../api/fleet/releases.ts';
import { setAgentLabels } from '../../api/fleet/agents.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
  waitFor,
  type EnrolledTestAgent,
} from '../helpers/factories.ts';
import { createTestUser, gql, gqlData, subscribe, wsClient, type Loose, type TestUser } from './helpers.ts';

let server: TestServer;
let editor: TestUser;
beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_ENROL_RATE_LIMIT: '1000' } });
  editor = await createTestUser(server.ctx, 'editor');
  await registerRelease(server.ctx, { version: '0.3.0', bundle: Buffer.from('agent 0.3.0') });
});
afterAll(() => server.close());

async function newAgent(groupId?: string): Promise<EnrolledTestAgent> {
  const group = groupId ?? (await createGroupWithPipeline(server.ctx)).id;
  return enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group));
}

const heartbeat = (agent: EnrolledTestAgent, body = heartbeatBody()) =>
  postJson(server.baseUrl + paths.heartbeat(agent.agentId), body, agent.agentToken);
const live = () => wsClient(server.baseUrl, { token: editor.token });
const hasAgent =
  (id: string, check: (agent: Loose) => boolean = () => true) =>
  (m: Loose) =>
    m.agentUpdated.agents.some((a: Loose) => a.id === id && check(a));

describe('agentUpdated', () => {
  it('delivers a REST heartbeat to a subscriber', async () => {
    const agent = await newAgent();
    const sub = await subscribe(
      server,
      live(),
      `subscription($id: ID) { agentUpdated(agentId: $id) { agents { id status lastHeartbeatAt vectorRunning } } }`,
      {
        id: agent.agentId,
      },
    );
    expect((await heartbeat(agent)).status).toBe(200);
    const message = await sub.next(hasAgent(agent.agentId, (a) => a.lastHeartbeatAt !== null));
    expect(message.agentUpdated.agents[0]).toMatchObject({
      id: agent.agentId,
      status: 'online',
      vectorRunning: true,
    });
    await sub.close();
  });

  it('tells group watchers about agents leaving the group, flagging the membership change', async () => {
    const from = await createGroupWithPipeline(server.ctx);
    const to = await createGroupWithPipeline(server.ctx);
    const agent = await newAgent(from.id);
    const sub = await subscribe(
      server,
      live(),
      `subscription($g: ID) { agentUpdated(groupId: $g) { membershipChanged agents { id group { id } } } }`,
      { g: from.id },
    );
    await gqlData(
      server.baseUrl,
      `mutation($input: MoveAgentsInput!) { moveAgents(input: $input) { __typename } }`,
      { input: { agentIds: [agent.agentId], groupId: to.id } },
      { token: editor.token },
    );
    const message = await sub.next((m) => m.agentUpdated.membershipChanged);
    expect(message.agentUpdated.agents).toEqual([{ id: agent.agentId, group: { id: to.id } }]);
    await sub.close();
  });

  it('refuses agentId and groupId together', async () => {
    const sub = await subscribe(
      server,
      live(),
      `subscription { agentUpdated(agentId: "${crypto.randomUUID()}", groupId: "${crypto.randomUUID()}") { membershipChanged } }`,
    );
    await expect.poll(() => sub.errors.length).toBeGreaterThan(0);
    await sub.close();
  });
});

describe('actionUpdated', () => {
  it("delivers an agent's action result to a subscriber", async () => {
    const agent = await newAgent();
    const { createAction } = await gqlData(
      server.baseUrl,
      `mutation($input: CreateActionInput!) { createAction(input: $input) { ... on CreateActionPayload { action { id } } } }`,
      { input: { agentId: agent.agentId, type: 'upgrade_agent', payload: { targetVersion: '0.3.0' } } },
      { token: editor.token },
    );
    const actionId = createAction.action.id as string;
    const sub = await subscribe(
      server,
      live(),
      `subscription($id: ID) { actionUpdated(agentId: $id) { actions { id status result finishedAt } } }`,
      {
        id: agent.agentId,
      },
    );
    const res = await heartbeat(
      agent,
      heartbeatBody({ actionResults: [{ actionId, status: 'done', result: { version: '0.3.0' } }] }),
    );
    expect(res.status).toBe(200);
    const message = await sub.next((m) => m.actionUpdated.actions.some((a: Loose) => a.status === 'done'));
    expect(message.actionUpdated.actions[0]).toMatchObject({
      id: actionId,
      status: 'done',
      result: { version: '0.3.0' },
    });
    await sub.close();
  });
});

describe('groupUpdated and fleetSummaryUpdated', () => {
  it('reports renames and deletions of a group', async () => {
    const created = await gqlData(
      server.baseUrl,
      `mutation($input: CreateGroupInput!) { createGroup(input: $input) { ... on CreateGroupPayload { group { id } } } }`,
      { input: { slug: `live-${Date.now()}`, name: 'Live' } },
      { token: editor.token },
    );
    const id = created.createGroup.group.id as string;
    const sub = await subscribe(
      server,
      live(),
      `subscription($id: ID) { groupUpdated(id: $id) { membershipChanged deletedGroupIds groups { id name configVersion } } }`,
      { id },
    );
    const run = (q: string, input: Loose) => gqlData(server.baseUrl, q, { input }, { token: editor.token });
    await run(`mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { __typename } }`, {
      id,
      name: 'Renamed',
    });
    const renamed = await sub.next((m) => m.groupUpdated.groups.some((g: Loose) => g.name === 'Renamed'));
    expect(renamed.groupUpdated.groups).toEqual([{ id, name: 'Renamed', configVersion: 2 }]);
    await run(`mutation($input: DeleteGroupInput!) { deleteGroup(input: $input) { __typename } }`, { id });
    const deleted = await sub.next((m) => m.groupUpdated.membershipChanged);
    expect(deleted.groupUpdated).toEqual({ membershipChanged: true, deletedGroupIds: [id], groups: [] });
    await sub.close();
  });

  it('follows rollout progress: the summary of a group after an agent applies its config', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const agent = await newAgent(group.id);
    const sub = await subscribe(
      server,
      live(),
      `subscription($g: ID) { fleetSummaryUpdated(groupId: $g) { agents upToDate behind groups { slug configVersion upToDate } } }`,
      { g: group.id },
    );
    await heartbeat(agent, heartbeatBody({ appliedConfigVersion: group.configVersion }));
    const message = await sub.next((m) => m.fleetSummaryUpdated.upToDate === 1, 3000);
    expect(message.fleetSummaryUpdated).toEqual({
      agents: 1,
      upToDate: 1,
      behind: 0,
      groups: [{ slug: group.slug, configVersion: group.configVersion, upToDate: 1 }],
    });
    await sub.close();
  });

  it('answers subscriptions over HTTP with an error pointing to graphql-ws', async () => {
    const res = await gql(
      server.baseUrl,
      'subscription { groupUpdated { membershipChanged } }',
      {},
      { token: editor.token },
    );
    expect(JSON.stringify(res.errors ?? res)).toContain('graphql-ws');
  });
});

describe('shared executions', () => {
  it('runs one execution for sockets with the same role and operation, never across roles or variables', async () => {
    const agent = await newAgent();
    const otherEditor = await createTestUser(server.ctx, 'editor');
    const viewer = await createTestUser(server.ctx, 'viewer');
    const fleetWide = `subscription { agentUpdated { agents { id lastHeartbeatAt } } }`;
    const before = server.app.websocketStats();
    const subs = [
      await subscribe(server, live(), fleetWide),
      await subscribe(server, wsClient(server.baseUrl, { token: otherEditor.token }), fleetWide),
      await subscribe(server, wsClient(server.baseUrl, { token: viewer.token }), fleetWide),
      await subscribe(
        server,
        live(),
        `subscription($id: ID) { agentUpdated(agentId: $id) { agents { id lastHeartbeatAt } } }`,
        { id: agent.agentId },
      ),
    ];
    const stats = server.app.websocketStats();
    expect(stats.subscriptions - before.subscriptions).toBe(4);
    // The two editors share one; the viewer and the agent's own watcher each have theirs.
    expect(stats.sharedSubscriptions - before.sharedSubscriptions).toBe(3);
    expect((await heartbeat(agent)).status).toBe(200);
    for (const sub of subs) await sub.next(hasAgent(agent.agentId, (a) => a.lastHeartbeatAt !== null));
    await subs[0].close();
    // The other editor still receives from the shared execution.
    const next = heartbeatBody();
    expect((await heartbeat(agent, next)).status).toBe(200);
    const count = subs[1].messages.length;
    await waitFor(() => subs[1].messages.length > count);
    for (const sub of subs.slice(1)) await sub.close();
    await waitFor(() => server.app.websocketStats().sharedSubscriptions === before.sharedSubscriptions);
  });
});

describe('coalescing under load', () => {
  it('sends a fleet-wide subscriber a few messages a second, the last with the latest state', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const watched: EnrolledTestAgent[] = [];
    for (let i = 0; i < 20; i++) watched.push(await newAgent(group.id));
    const sub = await subscribe(
      server,
      live(),
      `subscription { agentUpdated { agents { id labels { key value } } } }`,
    );
    const before = sub.messages.length;
    // Rounds of 500 events, a timer tick apart. A coalescing stream sends at most one message per
    // interval, naming every agent that changed since the last one; once it sent one, nothing is
    // pending until the next round publishes, so whatever the machine's speed there is at most one
    // message per round (plus one for the label change), never one per event.
    const rounds = 40;
    let published = 0;
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < 500; i++, published++) {
        const agent = watched[published % watched.length];
        server.events.publish('agentUpdated', {
          agentId: agent.agentId,
          groupId: group.id,
          change: 'heartbeat',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const target = watched[7];
    await setAgentLabels(server.ctx, CLI_ACTOR, { agentId: target.agentId, labels: { final: 'yes' } });
    const last = await sub.next(
      hasAgent(target.agentId, (a) => a.labels.some((l: Loose) => l.key === 'final')),
    );
    const received = sub.messages.length - before;
    expect(published).toBe(rounds * 500);
    expect(received).toBeLessThanOrEqual(rounds + 1);
    expect(Math.max(...sub.messages.map((m) => m.agentUpdated.agents.length))).toBeGreaterThan(1);
    const ids = new Set(sub.messages.flatMap((m) => m.agentUpdated.agents.map((a: Loose) => a.id)));
    expect(watched.every((a) => ids.has(a.agentId))).toBe(true);
    expect(last.agentUpdated.agents.find((a: Loose) => a.id === target.agentId).labels).toEqual([
      { key: 'final', value: 'yes' },
    ]);
    await sub.close();
  });
});
