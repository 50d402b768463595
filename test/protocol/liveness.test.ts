/** protocol.md → Liveness: offline after the offline threshold (fleet setting, 5 minutes by default) without a heartbeat; the next heartbeat clears wentOfflineAt. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
} from '../helpers/factories.ts';

let server: TestServer;
let now = Date.parse('2026-11-23T12:00:00Z');
beforeAll(async () => {
  server = await startTestServer({ clock: () => new Date(now) });
});
afterAll(() => server.close());

describe('liveness', () => {
  it('the sweep marks a silent agent offline once; its next heartbeat brings it back', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
    const beat = () =>
      postJson(server.baseUrl + paths.heartbeat(agent.agentId), heartbeatBody(), agent.agentToken);
    expect((await beat()).status).toBe(200);
    await server.app.heartbeats.flush();
    await server.app.sweeper.runOnce();
    const read = () => server.ctx.db.agent.findUniqueOrThrow({ where: { id: agent.agentId } });
    expect((await read()).wentOfflineAt).toBeNull();

    now += server.ctx.tuning.current.offlineAfterMs + 1000;
    await server.app.sweeper.runOnce();
    const offline = await read();
    expect(offline.wentOfflineAt?.getTime()).toBe(now);
    now += 60_000;
    await server.app.sweeper.runOnce();
    expect((await read()).wentOfflineAt?.getTime()).toBe(offline.wentOfflineAt?.getTime());

    expect((await beat()).status).toBe(200);
    await server.app.heartbeats.flush();
    const back = await read();
    expect(back.wentOfflineAt).toBeNull();
    expect(back.lastHeartbeatAt?.getTime()).toBe(now);
  });
});
