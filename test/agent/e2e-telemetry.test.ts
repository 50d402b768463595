/**
 * Agent ↔ real server ↔ stand-in Vector, telemetry end to end: the agent (bundle and single
 * executable, agent-fixture.ts) adds its metrics exporter to the config, scrapes it every heartbeat
 * and sends Vector's per-component counters, host metrics and Vector's recent error lines; the test
 * reads what the server's heartbeat route handed to the fleet.
 */
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESERVED_COMPONENT_ID_PREFIX } from '../../api/protocol/v1.ts';
import type { ParsedHeartbeat, Telemetry } from '../../api/protocol/telemetry.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import { recordHeartbeats } from '../helpers/heartbeat-records.ts';
import { AGENT_KINDS, AgentHost, agentEntry } from './agent-fixture.ts';
import { agentIdOf, groupWithToken } from './e2e-fleet.ts';
import { freePort } from './fake-vector-harness.ts';
import { waitFor } from './helpers.ts';

describe.each(AGENT_KINDS)('%s', (kind) => {
  let server: TestServer;
  let agentFile: string;
  let received: Map<string, ParsedHeartbeat>;
  let host: AgentHost | undefined;

  beforeAll(async () => {
    [server, agentFile] = await Promise.all([startTestServer(), agentEntry(kind, '1.0.0')]);
    received = recordHeartbeats(server.app.heartbeats);
  });
  afterAll(async () => {
    await host?.dispose();
    await server?.close();
  });

  describe('agent telemetry', { timeout: 60_000 }, () => {
    it('reports advancing component counters, host metrics, and Vector’s errors after a crash with reset counters', async () => {
      const { group, token } = await groupWithToken(server);
      host = await AgentHost.create({ extraFlags: [`--metrics-port=${await freePort()}`] });
      await host.enrol(agentFile, server.baseUrl, token);
      const agentId = await agentIdOf(server, group.id);
      host.start(agentFile);
      const telemetry = (where: (t: Telemetry) => boolean | undefined) =>
        waitFor('telemetry in a heartbeat', () => {
          const t = received.get(agentId)?.telemetry;
          return t && where(t) ? t : undefined;
        });

      const first = await telemetry((t) => (t.components?.[0]?.eventsOut ?? 0) > 0);
      const config = await fs.readFile(host.path('state', 'vector.yaml'), 'utf8');
      expect(config).toContain('type: internal_metrics');
      expect(first.components!.length).toBeGreaterThanOrEqual(2);
      expect(first.components!.some((c) => c.id.startsWith(RESERVED_COMPONENT_ID_PREFIX))).toBe(false);
      expect(first.components!.map((c) => c.kind)).toContain('sink');
      expect(first.vector).toEqual({ uptimeSeconds: expect.any(Number), reloads: 0 });
      expect(first.host).toMatchObject({
        load1: expect.any(Number),
        memoryUsedBytes: expect.any(Number),
        diskTotalBytes: expect.any(Number),
        networkInBytes: expect.any(Number),
        agentRssBytes: expect.any(Number),
      });
      const sourceId = first.components![0].id;
      const before = first.components![0].eventsOut;
      const advanced = await telemetry(
        (t) => (t.components?.find((c) => c.id === sourceId)?.eventsOut ?? 0) > before,
      );
      expect(advanced.host?.cpuPercent).toEqual(expect.any(Number));

      const vector = await host.runningVector();
      await waitFor('the reload check to end', () => host!.reloadCheckOver());
      const crashedAt = Date.now();
      await fs.writeFile(host.path('fake', 'crash'), '');
      await host.runningVector(vector.pid);
      // One heartbeat after the crash (it carries the crash line) with the restarted Vector's metrics:
      // its uptime counts from the restart. (Comparing with an uptime read before the crash failed
      // under load: by the first successful scrape the new Vector had been up as long as the old one.)
      const sinceCrash = () => (Date.now() - crashedAt) / 1000;
      const afterCrash = await telemetry(
        (t) =>
          t.logs?.some((l) => l.level === 'error' && l.message.includes('Simulated crash')) &&
          t.vector?.uptimeSeconds !== undefined &&
          t.vector.uptimeSeconds <= sinceCrash() + 1,
      );
      expect(afterCrash.vector!.uptimeSeconds).toBeLessThanOrEqual(sinceCrash() + 1);
      expect(afterCrash.logs!.at(-1)!.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    });
  });
});
