/**
 * The server's own /metrics: its content after real agent traffic (requests by route and status,
 * held polls, agents by status, heartbeat flushes, bus lag, event-loop lag, alerts), the bearer
 * token, the separate listen address, and the Grafana dashboard in api/deploy using only metrics
 * the server exports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const TOKEN = 'metrics-token-0123456789abcdef';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { FLOTILLA_METRICS_TOKEN: TOKEN } });
});
afterAll(() => server.close());

async function scrape(url = `${server.baseUrl}/metrics`, token: string | null = TOKEN): Promise<string> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of the sample `name{labels}` (labels as printed), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  it('counts agent requests by route and status, and reports the server’s state', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id));
    const beat = await postJson(
      `${server.baseUrl}${paths.heartbeat(agent.agentId)}`,
      heartbeatBody({ appliedConfigVersion: agent.configVersion }),
      agent.agentToken,
    );
    expect(beat.ok).toBe(true);
    const poll = await fetch(`${server.baseUrl}${paths.config(agent.agentId)}?since=${agent.configVersion}`, {
      headers: { authorization: `Bearer ${agent.agentToken}` },
    });
    expect(poll.status).toBe(204);
    await server.app.heartbeats.flush({ rethrow: true });

    const text = await waitFor(async () => {
      const t = await scrape();
      return sample(t, 'flotilla_agents{status="online"}') === 1 ? t : undefined;
    });
    const count = (labels: string) => sample(text, `flotilla_http_request_duration_seconds_count{${labels}}`);
    expect(count('route="agent_config",method="GET",status="204"')).toBe(1);
    expect(count('route="agent_enrol",method="POST",status="201"')).toBe(1);
    expect(count(`route="agent_heartbeat",method="POST",status="${beat.status}"`)).toBe(1);
    expect(count('route="graphql",method="POST",status="200"')).toBeUndefined();
    expect(text).toMatch(/^flotilla_http_request_duration_seconds_bucket\{le="0\.005",route="agent_config"/m);
    expect(sample(text, 'flotilla_agents{status="never_seen"}')).toBe(0);
    expect(sample(text, 'flotilla_long_polls_held')).toBe(0);
    expect(sample(text, 'flotilla_websocket_connections')).toBe(0);
    expect(sample(text, 'flotilla_graphql_subscriptions')).toBe(0);
    expect(sample(text, 'flotilla_graphql_subscription_executions')).toBe(0);
    expect(sample(text, 'flotilla_heartbeat_buffer_rows')).toBe(0);
    expect(sample(text, 'flotilla_heartbeat_flush_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'flotilla_event_bus_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'flotilla_alerts{state="firing"}')).toBe(0);
    expect(sample(text, 'flotilla_alert_deliveries{state="failed"}')).toBe(0);
    expect(sample(text, 'flotilla_db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    // A label value is a route name, never a raw path with an agent id in it.
    expect(text).not.toContain(agent.agentId);
  });

  it('answers 401 without the bearer token', async () => {
    for (const token of [null, 'wrong-token-0123456789']) {
      const res = await fetch(`${server.baseUrl}/metrics`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    }
  });

  it('serves a separate listen address instead of the main port when FLOTILLA_METRICS_ADDRESS is set', async () => {
    const separate = await startTestServer({ env: { FLOTILLA_METRICS_ADDRESS: '127.0.0.1:0' } });
    try {
      const main = await fetch(`${separate.baseUrl}/metrics`);
      expect(main.status).toBe(404);
      const address = separate.app.metricsAddress();
      expect(address).not.toBeNull();
      const text = await scrape(`http://127.0.0.1:${address!.port}/metrics`, null);
      expect(text).toContain('flotilla_http_request_duration_seconds');
      expect((await fetch(`http://127.0.0.1:${address!.port}/graphql`)).status).toBe(404);
    } finally {
      await separate.close();
    }
  });

  it('exports every metric the Grafana dashboard in api/deploy uses', async () => {
    const file = path.resolve(import.meta.dirname, '../../api/deploy/grafana-dashboard.json');
    const dashboard = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const used = new Set(
      dashboard.panels
        .flatMap((p) => p.targets.map((t) => t.expr))
        .flatMap((expr) => [...expr.matchAll(/\b((?:flotilla|nodejs|process)_[a-z0-9_]+)/g)].map((m) => m[1]))
        .map((name) => name.replace(/_(bucket|count|sum)$/, '')),
    );
    expect(used.size).toBeGreaterThan(10);
    const exported = new Set([...(await scrape()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });
});
