/**
 * Telemetry in a real browser: the agent page charts an agent's recorded samples (ECharts draws on
 * a canvas) and lists its recent Vector log lines; the overview charts fleet throughput and the
 * top lists. Screenshots land in test/.screenshots/telemetry-*.png.
 */
import { describe, expect } from 'vitest';
import type { Telemetry } from '../../../api/protocol/telemetry.ts';
import { recordSamples } from '../../../api/fleet/telemetry/store.ts';
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
    for (let minute = 0; minute <= 40; minute++) {
      const at = new Date(start + minute * MINUTE);
      await recordSamples(
        server.ctx,
        [{ agentId, groupId: group.id, at, telemetry: telemetry(minute + 1, at) }],
        new Date(start - 86_400_000),
      );
    }
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
    await expect.poll(() => panel.locator('canvas').count()).toBe(6);
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
    await expect.poll(() => panel.locator('canvas').count()).toBe(2);
    expect(await panel.textContent()).toContain('parse');
    await screenshot(page, 'telemetry-overview');
  });
});
