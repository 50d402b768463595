/**
 * protocol.md → Heartbeat → Telemetry: the route parses `telemetry` part by part, hands what it
 * kept to the fleet with the heartbeat, lists what it dropped, and applies the other fields anyway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../api/protocol/v1.ts';
import type { ParsedHeartbeat } from '../../api/protocol/telemetry.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
  waitFor,
} from '../helpers/factories.ts';
import { recordHeartbeats } from '../helpers/heartbeat-records.ts';

let server: TestServer;
let received: Map<string, ParsedHeartbeat>;
beforeAll(async () => {
  server = await startTestServer();
  received = recordHeartbeats(server.app.heartbeats);
});
afterAll(() => server.close());

async function enrolled() {
  const group = await createGroupWithPipeline(server.ctx);
  return enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
}

const sink = {
  id: 'out',
  kind: 'sink',
  type: 'http',
  eventsIn: 5,
  eventsOut: 4,
  bytesIn: 500,
  bytesOut: 400,
  errors: 1,
  discarded: 0,
};

describe('heartbeat telemetry', () => {
  it('hands valid telemetry to the fleet and answers without rejectedTelemetry', async () => {
    const agent = await enrolled();
    const telemetry = { vector: { uptimeSeconds: 3, reloads: 0 }, components: [sink], host: { load1: 0.1 } };
    const res = await postJson(
      server.baseUrl + paths.heartbeat(agent.agentId),
      heartbeatBody({ telemetry } as Partial<ParsedHeartbeat>),
      agent.agentToken,
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { pendingActions: [], rejectedResults: [], selfHeal: true } });
    expect(received.get(agent.agentId)?.telemetry).toEqual(telemetry);
  });

  it('drops malformed parts, lists them, and still applies the heartbeat’s other fields', async () => {
    const agent = await enrolled();
    const res = await postJson(
      server.baseUrl + paths.heartbeat(agent.agentId),
      {
        ...heartbeatBody({ agentVersion: '0.3.0', vectorUptimeSeconds: 60 }),
        telemetry: {
          components: [sink, { ...sink, id: 'bad', errors: -1 }],
          host: { cpuPercent: 'high', load5: 1 },
          logs: 7,
        },
      },
      agent.agentToken,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { rejectedTelemetry: string[] } };
    expect(body.data.rejectedTelemetry.map((r) => r.split(':')[0])).toEqual([
      'telemetry.host.cpuPercent',
      'telemetry.components.1.errors',
      'telemetry.logs',
    ]);
    expect(received.get(agent.agentId)?.telemetry).toEqual({ components: [sink], host: { load5: 1 } });
    const row = await waitFor(async () => {
      const a = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: agent.agentId } });
      return a.lastHeartbeatAt ? a : null;
    });
    expect(row.agentVersion).toBe('0.3.0');
  });

  it('drops a telemetry that is not an object whole, still applying the heartbeat', async () => {
    const agent = await enrolled();
    const res = await postJson(
      server.baseUrl + paths.heartbeat(agent.agentId),
      { ...heartbeatBody(), telemetry: 'lots' },
      agent.agentToken,
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: { rejectedTelemetry: string[] } }).data.rejectedTelemetry).toEqual([
      'telemetry: must be an object',
    ]);
    expect(received.get(agent.agentId)).toMatchObject({ agentVersion: '0.1.0', telemetry: undefined });
  });
});
