/**
 * Telemetry in a real browser: the agent page charts an agent's recorded samples (ECharts draws on
 * a canvas) and lists its recent Vector log lines; the overview charts fleet throughput and the
 * top lists; the group's pipeline graph shows live events per second on its components and wires,
 * a component with errors highlighted. Screenshots land in test/.screenshots/telemetry-*.png.
 */
import { describe, expect } from 'vitest';
import type { Telemetry } from '../../../api/protocol/telemetry.ts';
import { TelemetryStore } from '../../../api/fleet/telemetry/store.ts';
import { createGroupWithPipeline, enrolOverHttp, mintToken } from '../../helpers/factories.ts';
import { screenshot } from './browser.ts';
import { browserSuite } from './suite.ts';

let agentId = '';
const MINUTE = 60_000;

function telemetry(minutes: number, at: Date): Telemetry {
  const n = minutes * 600;
  return {
    vector: { uptimeSeconds: minutes * 60 },
    components: [
      {
        id: 'app_logs',
        kind: 'source',
        type: 'file',
        eventsIn: n,
        eventsOut: n,
        bytesIn: n * 200,
        bytesOut: n * 200,
        errors: 0,
        discarded: 0,
      },
      {
        id: 'parse',
        kind: 'transform',
        type: 'remap',
        eventsIn: n,
        eventsOut: n - minutes,
        bytesIn: 0,
        bytesOut: 0,
        errors: minutes,
        discarded: minutes,
      },
      {
        id: 'archive',
        kind: 'sink',
        type: 'aws_s3',
        eventsIn: n - minutes,
        eventsOut: n - minutes,
        bytesIn: 0,
        bytesOut: n * 150,
        errors: 0,
        discarded: 0,
      },
    ],
    host: {
      cpuPercent: 20 + (minutes % 7) * 3,
      memoryUsedBytes: Math.round((2 + (minutes % 5) * 0.1) * 2 ** 30),
      diskUsedBytes: 40 + (minutes % 10),
      diskTotalBytes: 100,
    },
    logs: [
      {
        time: at.toISOString(),
        level: 'warn',
        message: `sinks.archive: retrying request (attempt ${minutes})`,
      },
    ],
  };
}

const suite = browserSuite({
  user: { email: 'charts@example.com', role: 'viewer' },
  seed: async (server) => {
    const group = await createGroupWithPipeline(server.ctx, 'telemetry-web');
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id), {
      hostname: 'web-01',
    });
    agentId = agent.agentId;
    const start = Date.now() - 40 * MINUTE;
    const store = new TelemetryStore(server.ctx);
    for (let minute = 0; minute <= 40; minute++) {
      const at = new Date(start + minute * MINUTE);
      await store.record(
        [{ agentId, groupId: group.id, at, telemetry: telemetry(minute + 1, at) }],
        new Date(start - 86_400_000),
      );
    }
    await store.minutes.write(server.ctx, null);
    // A second group (the demo pipeline: demo → out) whose sink fails now and then.
    const graphGroup = await createGroupWithPipeline(server.ctx, 'telemetry-graph');
    const graphAgent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, graphGroup.id));
    // One "now" for both samples, so they are exactly 30 s apart (rates of exactly 20/s).
    const now = Date.now();
    for (const [ago, n] of [
      [30_000, 1000],
      [0, 1600],
    ] as const) {
      const component = (id: string, kind: 'source' | 'sink', errors: number) => ({
        id,
        kind,
        type: kind === 'source' ? 'demo_logs' : 'console',
        eventsIn: n,
        eventsOut: n - errors,
        bytesIn: n * 100,
        bytesOut: n * 100,
        errors,
        discarded: 0,
      });
      await store.record(
        [
          {
            agentId: graphAgent.agentId,
            groupId: graphGroup.id,
            at: new Date(now - ago),
            telemetry: { components: [component('demo', 'source', 0), component('out', 'sink', n / 100)] },
          },
        ],
        new Date(start - 86_400_000),
      );
    }
    await store.minutes.write(server.ctx, null);
  },
});
const { step } = suite;

describe('telemetry charts in a real browser', () => {
  step('the agent page charts events, CPU, memory and disk and lists the Vector log lines', async () => {
    const { page, server } = suite;
    await page.setViewportSize({ width: 1280, height: 1600 });
    await page.goto(`${server.baseUrl}/agents/${agentId}`);
    const panel = page.locator('section.telemetry');
    await panel.locator('[data-testid=telemetry-summary]').waitFor();
    await expect.poll(() => panel.locator('canvas').count(), { timeout: 15_000 }).toBe(6);
    expect(await panel.locator('[data-testid=telemetry-summary]').textContent()).toContain(
      '10.0 events/s in',
    );
    expect(await panel.locator('.logs li').first().textContent()).toContain('retrying request (attempt 41)');
    await panel.scrollIntoViewIfNeeded();
    await screenshot(page, 'telemetry-agent');
  });

  step('the overview charts fleet throughput and lists the top components by discarded events', async () => {
    const { page, server } = suite;
    await page.goto(`${server.baseUrl}/`);
    const panel = page.locator('section.throughput');
    await expect.poll(() => panel.locator('canvas').count(), { timeout: 15_000 }).toBe(2);
    expect(await panel.textContent()).toContain('parse');
    await screenshot(page, 'telemetry-overview');
  });

  step(
    'the pipeline graph shows live events per second on components and wires, errors highlighted',
    async () => {
      const { page, server } = suite;
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(`${server.baseUrl}/groups/telemetry-graph`);
      const demo = page.locator('[data-test=node-demo] [data-test=node-rates]');
      await demo.waitFor();
      // 600 events in 30 s from the source; the sink fails 6 of them.
      expect(await demo.textContent()).toContain('20 in · 20 out /s');
      const out = page.locator('[data-test=node-out]');
      expect(await out.locator('[data-test=node-errors]').textContent()).toContain('0.2 err/s');
      expect(await out.getAttribute('class')).toContain('erroring');
      expect(await page.locator('.vue-flow__edge-text').first().textContent()).toContain('20/s');
      expect(await page.locator('.vue-flow__edge.erroring').count()).toBe(1);
      await screenshot(page, 'telemetry-pipeline-graph');
    },
  );
});
