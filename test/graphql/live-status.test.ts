/**
 * Live config status over graphql-ws: a publish (the baseline moves) and a rollout's pin change
 * reach every agentUpdated subscriber (fleet, group, one agent) and fleetSummaryUpdated without a
 * reload: rows go from up to date to updating, and a pinned agent shows its pin. The publish's
 * "which agents" read happens once per event, not once per dashboard.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  changePublishedComponent,
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
} from '../helpers/factories.ts';
import { createTestUser, subscribe, wsClient, type Loose, type TestUser } from './helpers.ts';

let server: TestServer;
let viewer: TestUser;
beforeAll(async () => {
  server = await startTestServer();
  viewer = await createTestUser(server.ctx, 'viewer');
});
afterAll(() => server.close());

const AGENTS = `subscription($agentId: ID, $groupId: ID) { agentUpdated(agentId: $agentId, groupId: $groupId) {
  agents { id configStatus desiredConfigVersion appliedConfigVersion deliveredConfigVersion configPin { version } } } }`;
const SUMMARY = `subscription($groupId: ID) { fleetSummaryUpdated(groupId: $groupId) { upToDate updating behind } }`;

const row = (m: Loose, id: string): Loose | undefined =>
  (m.agentUpdated.agents as Loose[]).find((a) => a.id === id);

describe('config status stays live after a publish and a pin change', () => {
  it('tells every subscriber, without a reload, that online agents are updating, then pinned', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const token = await mintToken(server.ctx, group.id);
    const agents = [await enrolOverHttp(server.baseUrl, token), await enrolOverHttp(server.baseUrl, token)];
    const v = group.configVersion;
    for (const a of agents) {
      const res = await postJson(
        server.baseUrl + paths.heartbeat(a.agentId),
        heartbeatBody({ appliedConfigVersion: v }),
        a.agentToken,
      );
      expect(res.status).toBe(200);
    }
    await server.app.heartbeats.flush();
    const [first, second] = agents.map((a) => a.agentId);

    const subs = [
      await subscribe(server, wsClient(server.baseUrl, { token: viewer.token }), AGENTS, {}),
      await subscribe(server, wsClient(server.baseUrl, { token: viewer.token }), AGENTS, {}),
      await subscribe(server, wsClient(server.baseUrl, { token: viewer.token }), AGENTS, {
        groupId: group.id,
      }),
      await subscribe(server, wsClient(server.baseUrl, { token: viewer.token }), AGENTS, { agentId: first }),
    ];
    const summary = await subscribe(server, wsClient(server.baseUrl, { token: viewer.token }), SUMMARY, {
      groupId: group.id,
    });
    try {
      const lookups: string[] = [];
      const stop = server.testDb.db.onQuery((sql) => {
        if (/SELECT\s+"public"\."agents"\."id"\s+FROM/i.test(sql)) lookups.push(sql);
      });
      let next: number;
      try {
        next = await changePublishedComponent(server.ctx, group.id, 'demo', {
          options: { format: 'apache_common' },
        });
        const updating = (id: string) => (m: Loose) => {
          const a = row(m, id);
          return a?.configStatus === 'updating' && a.desiredConfigVersion === next;
        };
        for (const sub of subs.slice(0, 3)) {
          await sub.next(updating(first), 10_000);
          await sub.next(updating(second), 10_000);
        }
        await subs[3].next(updating(first), 10_000);
        await summary.next((m) => m.fleetSummaryUpdated.updating === 2, 10_000);
      } finally {
        stop();
      }
      expect(lookups, 'one read of the group’s agents for four subscribers').toHaveLength(1);

      // A rollout pins the first agent back to the version it runs: up to date again, at once.
      await server.ctx.db.agentConfigPin.create({ data: { agentId: first, groupId: group.id, version: v } });
      server.ctx.events.publish('configPinsChanged', { groupId: group.id, rolloutId: null });
      const pinned = (m: Loose) => {
        const a = row(m, first);
        return a?.configStatus === 'up_to_date' && a.desiredConfigVersion === v && a.configPin?.version === v;
      };
      for (const sub of subs) await sub.next(pinned, 10_000);
      await summary.next((m) => m.fleetSummaryUpdated.updating === 1 && m.fleetSummaryUpdated.upToDate === 1);
    } finally {
      for (const sub of [...subs, summary]) await sub.close();
    }
  });
});
