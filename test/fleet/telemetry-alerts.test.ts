/**
 * Alert kinds on telemetry (api/fleet/alerts/telemetry-signals.ts), fed by real heartbeats with
 * telemetry on the injected clock: a component's error and discard rates, a full disk, and an agent
 * whose events out stopped. A baseline sample (no rates yet) breaches nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentTelemetry, Telemetry } from '../../api/protocol/telemetry.ts';
import { paths } from '../../api/protocol/v1.ts';
import { CLI_ACTOR } from '../../api/fleet/context.ts';
import { createAlertRule } from '../../api/fleet/alerts/rules.ts';
import { evaluateAlerts } from '../../api/fleet/alerts/evaluate.ts';
import { startTestServer, type TestServer } from '../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
} from '../helpers/factories.ts';

const T0 = new Date('2026-12-06T10:00:05Z');
let now = T0;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    clock: () => now,
    env: {
      FLOTILLA_HEARTBEAT_FLUSH_MS: '60000',
      FLOTILLA_TELEMETRY_FLUSH_MS: '60000',
      FLOTILLA_ALERT_INTERVAL_SECONDS: '3600',
    },
  });
});
afterAll(() => server.close());

const component = (id: string, kind: 'source' | 'sink', out: number, errors = 0): ComponentTelemetry => ({
  id,
  kind,
  type: kind === 'sink' ? 'console' : 'demo_logs',
  eventsIn: out,
  eventsOut: out,
  bytesIn: out * 10,
  bytesOut: out * 10,
  errors,
  discarded: errors * 2,
});
const telemetry = (out: number, errors: number, diskUsed: number): Telemetry => ({
  vector: { uptimeSeconds: 100 + out, reloads: 1 },
  components: [component('demo', 'source', out), component('out', 'sink', out, errors)],
  host: { diskUsedBytes: diskUsed, diskTotalBytes: 100 },
});

describe('alerts on telemetry', () => {
  it('fires on a component’s error and discard rates, a full disk, and zero throughput', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
    const beat = async (seconds: number, t: Telemetry) => {
      now = new Date(T0.getTime() + seconds * 1000);
      const res = await postJson(
        server.baseUrl + paths.heartbeat(agent.agentId),
        heartbeatBody({ telemetry: t }),
        agent.agentToken,
      );
      expect(res.ok).toBe(true);
      await server.app.heartbeats.flush({ rethrow: true });
      await server.app.telemetry.flush();
    };
    const rule = (kind: string, threshold: number | null) =>
      createAlertRule(server.ctx, CLI_ACTOR, { name: kind, kind, threshold, groupId: group.id });
    const rules = {
      errors: await rule('component_error_rate', 0.5),
      discarded: await rule('events_discarded', 1.5),
      disk: await rule('disk_usage', 90),
      zero: await rule('throughput_zero', null),
    };
    const evaluate = () =>
      evaluateAlerts(server.ctx, (ruleId, error) => {
        throw new Error(`rule ${ruleId}: ${String(error)}`);
      });
    const firing = async () => {
      const alerts = await server.ctx.db.alertInstance.findMany({ where: { state: 'firing' } });
      return Object.fromEntries(
        Object.entries(rules).map(([name, r]) => [
          name,
          alerts.filter((a) => a.ruleId === r.id).map((a) => ({ subject: a.subject, value: a.value })),
        ]),
      );
    };

    await beat(0, telemetry(1000, 0, 95));
    await evaluate();
    expect((await firing()).errors).toEqual([]); // a baseline sample has no rates

    await beat(30, telemetry(1300, 30, 95));
    await evaluate();
    expect(await firing()).toEqual({
      errors: [{ subject: `${agent.agentId}/out`, value: 1 }],
      discarded: [{ subject: `${agent.agentId}/out`, value: 2 }],
      disk: [{ subject: agent.agentId, value: 95 }],
      zero: [],
    });

    await beat(60, telemetry(1300, 30, 50));
    await evaluate();
    expect(await firing()).toEqual({
      errors: [],
      discarded: [],
      disk: [],
      zero: [{ subject: agent.agentId, value: 0 }],
    });
  });
});
