/**
 * Fleet settings across replicas: two servers sharing one PostgreSQL database and Redis. A change
 * made through one replica's GraphQL reaches the other through `settingsChanged` (its fleetRules,
 * its heartbeat answers and its liveness threshold), without a restart; a change whose bus message
 * never arrived is picked up by the other replica's next sweep. PostgreSQL only (two processes
 * cannot share a PGlite directory).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBus } from '../../api/fleet/events.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { updateFleetSettings } from '../../api/fleet/settings.ts';
import { paths } from '../../api/protocol/v1.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
  waitFor,
} from '../helpers/factories.ts';
import { createTestUser, gqlData, type TestUser } from '../graphql/helpers.ts';

const REDIS_URL = process.env.FLOTILLA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('fleet settings on two replicas (PostgreSQL and Redis)', () => {
  let first: TestServer;
  let second: TestServer;
  let admin: TestUser;
  beforeAll(async () => {
    first = await startTestServer({ redisUrl: REDIS_URL });
    second = await startTestServer({ redisUrl: REDIS_URL, testDb: first.testDb });
    admin = await createTestUser(first.ctx, 'admin');
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('a change through one replica takes effect on the other without a restart', async () => {
    const group = await createGroupWithPipeline(first.ctx);
    const agent = await enrolOverHttp(second.baseUrl, await mintToken(first.ctx, group.id));
    await gqlData(
      first.baseUrl,
      `mutation { updateFleetSettings(input: { heartbeatIntervalSeconds: 120, offlineAfterSeconds: 900 }) { __typename } }`,
      {},
      { token: admin.token },
    );
    const rules = await waitFor(async () => {
      const data = await gqlData(
        second.baseUrl,
        '{ fleetRules { offlineAfterSeconds } }',
        {},
        { token: admin.token },
      );
      return data.fleetRules.offlineAfterSeconds === 900 && data.fleetRules;
    });
    expect(rules.offlineAfterSeconds).toBe(900);
    expect(second.ctx.tuning.current.offlineAfterMs).toBe(900_000);

    const res = await postJson(
      second.baseUrl + paths.heartbeat(agent.agentId),
      heartbeatBody(),
      agent.agentToken,
    );
    expect(((await res.json()) as { data: Record<string, unknown> }).data).toMatchObject({
      heartbeatIntervalSeconds: 120,
    });
  });

  it('a change whose bus message was lost reaches the other replica on its next sweep', async () => {
    const offBus = createLocalBus();
    await updateFleetSettings({ ...first.ctx, events: offBus }, CLI_ACTOR, { retainAuditDays: 77 });
    await offBus.close();
    expect(second.ctx.tuning.current.retention.auditDays).not.toBe(77);
    await second.app.sweeper.runOnce();
    expect(second.ctx.tuning.current.retention.auditDays).toBe(77);
  });
});
