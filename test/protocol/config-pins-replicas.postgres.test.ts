/**
 * Per-agent desired version across replicas: a pin set through one replica (its configPinsChanged
 * goes through Redis) wakes a poll held on the other, which answers the pinned version. PGlite
 * cannot be opened by two servers at once, so this runs in the postgres project only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  changePublishedComponent,
  createGroupWithPipeline,
  enrolOverHttp,
  mintToken,
  waitFor,
} from '../helpers/factories.ts';

const REDIS_URL = process.env.FLOTILLA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('config pins across two replicas (PostgreSQL and Redis)', () => {
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    first = await startTestServer({ redisUrl: REDIS_URL });
    second = await startTestServer({ redisUrl: REDIS_URL, testDb: first.testDb });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('wakes a poll held on one replica when the other pins its agent', async () => {
    const group = await createGroupWithPipeline(first.ctx);
    const v2 = await changePublishedComponent(first.ctx, group.id, 'demo', {
      options: { format: 'apache_common' },
    });
    const agent = await enrolOverHttp(second.baseUrl, await mintToken(first.ctx, group.id));
    await waitFor(() => second.app.directory.cachedGroupVersion(group.id) === v2);
    const held = fetch(`${second.baseUrl}${paths.config(agent.agentId)}?since=${v2}&wait=30`, {
      headers: { authorization: `Bearer ${agent.agentToken}` },
    });
    await waitFor(() => second.app.longPolls.size === 1);
    await first.ctx.db.agentConfigPin.create({
      data: { agentId: agent.agentId, groupId: group.id, version: group.configVersion },
    });
    first.ctx.events.publish('configPinsChanged', { groupId: group.id, rolloutId: null });
    const res = await held;
    expect(res.status).toBe(200);
    expect(res.headers.get('x-config-version')).toBe(String(group.configVersion));
    await waitFor(() => first.app.directory.pinnedVersion(agent.agentId, group.id) === group.configVersion);
  });
});
