/**
 * The simulator split over worker processes: shards report over IPC, the parent adds them up, and
 * a retune reaches every worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../agent/sim/fleet.ts';
import { defaultOptions } from '../../agent/sim/options.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { createGroupWithPipeline, mintToken } from '../helpers/factories.ts';

const AGENTS = 20;
let server: TestServer;
let fleet: Fleet;

beforeAll(async () => {
  server = await startTestServer();
  const group = await createGroupWithPipeline(server.ctx);
  fleet = await startFleet({
    ...defaultOptions(server.baseUrl, [await mintToken(server.ctx, group.id, AGENTS)], AGENTS),
    processes: 2,
    heartbeatIntervalMs: 60_000,
    pollIntervalMs: 300,
    longPollSeconds: 10,
  });
});

afterAll(async () => {
  await fleet?.stop().catch(() => undefined);
  await server?.close();
});

describe('fleet simulator with worker processes', () => {
  it('adds up the shards of two processes and retunes both', async () => {
    await fleet.waitFor((s) => (s.requests.inFlight['config-wait'] ?? 0) === AGENTS, 20_000);
    const before = fleet.snapshot().heartbeats.ok;
    fleet.retune({ heartbeatIntervalMs: 200 });
    await fleet.waitFor((s) => s.heartbeats.ok >= before + 2 * AGENTS, 10_000);

    const report = await fleet.stop();
    expect(report.agents).toMatchObject({ target: AGENTS, enrolled: AGENTS, enrolFailed: 0 });
    expect(report.simulator.processes).toBe(2);
    expect(report.requests.byRoute.enrol).toEqual({ '201': AGENTS });
    expect(report.configs[0]).toMatchObject({ applied: AGENTS, failed: 0 });
    expect(report.heartbeats.failed).toBe(0);
    expect(report.connections.peakHeldPolls).toBe(AGENTS);
  });
});
