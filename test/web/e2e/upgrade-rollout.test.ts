/**
 * A staged upgrade from the agents list in Debian's chromium against a real server: select every
 * agent, open the bulk upgrade dialog, pick a staged plan, read the preview (already on the
 * release, offline and what happens to them, per-stage counts) and start it; the browser lands on
 * the rollout's page, which names no group (an agent selection). Screenshots: upgrade-plan,
 * upgrade-rollout.
 */
import { describe, expect } from 'vitest';
import { browserSuite } from './suite.ts';
import { screenshot } from './browser.ts';
import { registerRelease } from '../../../api/fleet/releases.ts';
import { groupWithAgents } from '../../helpers/rollouts.ts';

const RELEASE = '2.0.0';
const suite = browserSuite({
  user: { email: 'editor@example.com', role: 'editor' },
  seed: async (server) => {
    await registerRelease(server.ctx, { version: RELEASE, bundle: Buffer.from('// agent 2.0.0\n') });
    const { agentIds } = await groupWithAgents(server.ctx, 6);
    await server.ctx.db.agent.update({ where: { id: agentIds[0] }, data: { agentVersion: RELEASE } });
    await server.ctx.db.agent.update({ where: { id: agentIds[1] }, data: { lastHeartbeatAt: null } });
  },
});

describe('a staged upgrade from the agents list', () => {
  suite.step(
    'previews the plan in the bulk upgrade dialog and starts it, landing on the rollout',
    async () => {
      const { page, server } = suite;
      await page.goto(`${server.baseUrl}/agents`);
      await page.locator('[data-test=agent-row]').first().waitFor();
      await page.locator('.p-datatable-thead .p-checkbox').click();
      await page.click('[data-test=bulk-upgrade]');
      const dialog = page.locator('.p-dialog');
      await dialog.locator('[data-test=upgrade-mode]').getByText('Staged', { exact: true }).click();
      const stage1 = dialog.locator('[data-test=upgrade-preview-stage-1]');
      await stage1.waitFor();
      await expect.poll(() => stage1.textContent()).toMatch(/Stage 1: 1 agent(?!s)/);
      expect(await dialog.locator('[data-test=upgrade-preview-stage-2]').textContent()).toMatch(
        /Stage 2: 2 agents/,
      );
      expect(await dialog.locator('[data-test=upgrade-preview-stage-3]').textContent()).toMatch(
        /Stage 3: 3 agents/,
      );
      expect(await dialog.locator('[data-test=upgrade-on-release]').textContent()).toMatch(
        /1 already on 2\.0\.0: skipped/,
      );
      expect(await dialog.locator('[data-test=upgrade-offline]').textContent()).toMatch(
        /1 offline: .*waits for them/,
      );
      await screenshot(page, 'upgrade-plan');
      await page.click('[data-test=bulk-confirm]');

      await page.waitForURL(/\/rollouts\/[0-9a-f-]+$/);
      await page.locator('[data-test=rollout-state]').waitFor();
      const id = page.url().split('/').at(-1)!;
      const rollout = await server.ctx.db.rollout.findUniqueOrThrow({ where: { id } });
      expect(rollout).toMatchObject({ kind: 'upgrade', release: RELEASE, groupId: null });
      expect(await server.ctx.db.rolloutAgent.count({ where: { rolloutId: id } })).toBe(6);
      expect(await page.locator('h1').textContent()).toMatch(/Upgrade to 2\.0\.0/);
      await screenshot(page, 'upgrade-rollout');
    },
    120_000,
  );
});
