/**
 * Telemetry over GraphQL: an agent's latest sample, history and log lines, a group's throughput
 * and live component rates, the fleet overview, who may read them (viewers and up; anonymous
 * callers are refused), what a series costs, and agentTelemetryUpdated / groupTelemetryUpdated
 * sending each newly recorded sample.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Telemetry } from '../../api/protocol/telemetry.ts';
import { paths } from '../../api/protocol/v1.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
  type EnrolledTestAgent,
} from '../helpers/factories.ts';
import { createTestUser, errorCode, gql, gqlData, subscribe, wsClient, type TestUser } from './helpers.ts';

// Early in a 5-minute step, so the first two samples share one history bucket.
let now = new Date(Math.floor(Date.now() / 300_000) * 300_000 + 5_000);
let server: TestServer;
let viewer: TestUser;
let agent: EnrolledTestAgent;

function telemetry(n: number): Telemetry {
  return {
    vector: { uptimeSeconds: 100 + n },
    components: [
      {
        id: 'demo',
        kind: 'source',
        type: 'demo_logs',
        eventsIn: n,
        eventsOut: n,
        bytesIn: n,
        bytesOut: n,
        errors: 0,
        discarded: 0,
      },
      {
        id: 'out',
        kind: 'sink',
        type: 'console',
        eventsIn: n,
        eventsOut: n,
        bytesIn: n,
        bytesOut: n,
        errors: n / 10,
        discarded: n / 5,
      },
    ],
    host: { cpuPercent: 30, memoryUsedBytes: 1000, diskUsedBytes: 50, diskTotalBytes: 200 },
    logs: [{ time: now.toISOString(), level: 'error', message: `sink failed ${n}` }],
  };
}

/** When the newest heartbeat was sent. */
let lastBeat = now;

async function beat(n: number, advanceSeconds: number): Promise<void> {
  now = new Date(now.getTime() + advanceSeconds * 1000);
  lastBeat = now;
  const res = await postJson(
    server.baseUrl + paths.heartbeat(agent.agentId),
    heartbeatBody({ telemetry: telemetry(n) }),
    agent.agentToken,
  );
  expect(res.status).toBe(200);
  await server.app.telemetry.flush();
}

beforeAll(async () => {
  server = await startTestServer({ clock: () => now, env: { FLOTILLA_TELEMETRY_FLUSH_MS: '60000' } });
  viewer = await createTestUser(server.ctx, 'viewer');
  const group = await createGroupWithPipeline(server.ctx);
  agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
  await beat(1000, 0);
  await beat(1600, 30);
  // The minute aggregates are written by the first flush after their minute is over.
  now = new Date(Math.ceil(now.getTime() / 60_000) * 60_000 + 1000);
  await server.app.telemetry.flush();
});
afterAll(() => server.close());

const AGENT = `query ($id: ID!) { agent(id: $id) {
  telemetry { sampledAt eventsInRate errorsRate cpuPercent diskUsedBytes components { id kind rates { eventsOut errors } } logs { level message } }
  telemetryHistory(range: hour) { eventsIn cpuPercent components { id eventsIn } }
  group { throughput(range: hour) { eventsIn eventsOut errors } componentRates { componentId kind agents rates { eventsIn } } }
} }`;

const FLEET = `{ fleetTelemetry(range: day) {
  throughput { eventsIn eventsOut discarded }
  topAgentsByErrors(limit: 3) { agentId hostname errorsRate }
  topComponentsByDiscarded { componentId kind totals { discarded } }
} }`;

describe('telemetry over GraphQL', () => {
  it('serves an agent its latest sample, log lines, history and its group throughput to viewers', async () => {
    const { agent: a } = await gqlData(server.baseUrl, AGENT, { id: agent.agentId }, { token: viewer.token });
    expect(a.telemetry).toMatchObject({ eventsInRate: 20, errorsRate: 2, cpuPercent: 30, diskUsedBytes: 50 });
    expect(a.telemetry.components).toEqual([
      { id: 'demo', kind: 'source', rates: { eventsOut: 20, errors: 0 } },
      { id: 'out', kind: 'sink', rates: { eventsOut: 20, errors: 2 } },
    ]);
    expect(a.telemetry.logs).toEqual([
      { level: 'error', message: 'sink failed 1000' },
      { level: 'error', message: 'sink failed 1600' },
    ]);
    expect(a.telemetryHistory).toHaveLength(1);
    expect(a.telemetryHistory[0].cpuPercent).toBe(30);
    expect(
      a.group.throughput.reduce((sum: number, p: { eventsIn: number }) => sum + p.eventsIn * 60, 0),
    ).toBeCloseTo(600);
    expect(a.group.componentRates).toEqual([
      { componentId: 'demo', kind: 'source', agents: 1, rates: { eventsIn: 20 } },
      { componentId: 'out', kind: 'sink', agents: 1, rates: { eventsIn: 20 } },
    ]);
  });

  it('serves the fleet overview to viewers and refuses anonymous callers', async () => {
    const { fleetTelemetry } = await gqlData(server.baseUrl, FLEET, {}, { token: viewer.token });
    expect(fleetTelemetry.topAgentsByErrors).toEqual([
      expect.objectContaining({ agentId: agent.agentId, errorsRate: 2 }),
    ]);
    expect(fleetTelemetry.topComponentsByDiscarded).toEqual([
      { componentId: 'out', kind: 'sink', totals: { discarded: 120 } },
    ]);
    expect(errorCode(await gql(server.baseUrl, FLEET))).toBe('UNAUTHENTICATED');
    const anonymous = await gql(server.baseUrl, AGENT, { id: agent.agentId });
    expect(anonymous.data?.agent ?? null).toBeNull();
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
  });

  it('prices series by what they read: a page of 500 agent histories is refused', async () => {
    const res = await gql(
      server.baseUrl,
      '{ agents(first: 500) { edges { node { telemetryHistory { at } } } } }',
      {},
      { token: viewer.token },
    );
    expect(errorCode(res)).toBe('QUERY_TOO_COSTLY');
  });

  it('sends each newly recorded sample to agentTelemetryUpdated and groupTelemetryUpdated', async () => {
    const client = wsClient(server.baseUrl, { token: viewer.token });
    const mine = await subscribe(
      server,
      client,
      'subscription ($id: ID!) { agentTelemetryUpdated(agentId: $id) { sampledAt eventsInRate } }',
      { id: agent.agentId },
    );
    const fleet = await subscribe(
      server,
      client,
      'subscription { groupTelemetryUpdated { groupId throughput { eventsIn } } }',
    );
    const previous = lastBeat;
    await beat(2200, 30);
    const message = await mine.next();
    // 600 more events since the previous sample (beforeAll also moved the clock to the next minute).
    expect(message.agentTelemetryUpdated).toEqual({
      sampledAt: now.toISOString(),
      eventsInRate: 600 / ((now.getTime() - previous.getTime()) / 1000),
    });
    const group = await fleet.next();
    expect(group.groupTelemetryUpdated.groupId).toBeNull();
    expect(group.groupTelemetryUpdated.throughput.length).toBeGreaterThan(0);
    await mine.close();
  });
});
