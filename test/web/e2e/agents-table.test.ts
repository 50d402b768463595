/**
 * The agents page at the widths operators use (1024, 1280, 1920 px) over a few hundred seeded
 * agents: columns keep their minimum widths and never overlap, Hostname does not eat a wide
 * screen, labels show as chips with "+N", the config error has its own column; the column chooser
 * is remembered per user; the filter bar never moves the table; moving or revoking more than a
 * few agents needs the count typed. Screenshots land in test/.screenshots/agents-*.png.
 */
import { describe, expect } from 'vitest';
import type { Page } from 'playwright-core';
import { AGENT_COLUMNS } from '../../../web/src/lib/agent-columns.ts';
import { TYPED_CONFIRM_ABOVE } from '../../../web/src/lib/bulk-confirm.ts';
import { screenshot } from './browser.ts';
import { browserSuite } from './suite.ts';
import { seedFleet } from './seed.ts';

const ERROR = 'sinks.out: unknown field `encodingg`, expected one of `encoding`, `target`, `buffer`';
const suite = browserSuite({
  user: { email: 'ops@example.com', role: 'admin' },
  seed: async (server) => {
    await seedFleet(server, {
      groups: { 'web-frontend-servers-eu-west': 180, db: 60, edge: 60 },
      labelEvery: 2,
      labels: { env: 'prod', team: 'platform-observability', region: 'eu-west-1', tier: 'gold', rack: 'r12' },
      failEvery: 7,
      errorMessage: ERROR,
    });
  },
});
const { step } = suite;

/** Header cells' boxes (left to right) and whether each one's text fits. */
const headerCells = (target: Page) =>
  target.$$eval('.agent-table thead th', (cells) =>
    cells.map((th) => {
      const box = th.getBoundingClientRect();
      const text = th.querySelector('.p-datatable-column-title');
      return {
        text: th.textContent?.trim() ?? '',
        left: box.left,
        right: box.right,
        width: box.width,
        fits: !text || text.scrollWidth <= text.clientWidth + 1,
      };
    }),
  );

describe('agents table in a real browser', () => {
  for (const width of [1024, 1280, 1920]) {
    step(`lays out at ${width} px: minimum widths, no overlap, chips with +N, errors`, async () => {
      await suite.page.setViewportSize({ width, height: 800 });
      await suite.page.goto(`${suite.server.baseUrl}/agents`);
      await suite.page.locator('[data-test=agent-row]').first().waitFor();
      await suite.page.locator('[data-test=labels-more]').first().waitFor();
      await suite.page.locator('[data-test=agent-error]', { hasText: 'unknown field' }).first().waitFor();
      await screenshot(suite.page, `agents-${width}`);

      const cells = await headerCells(suite.page);
      const byTitle = new Map(cells.map((c) => [c.text, c]));
      for (const column of AGENT_COLUMNS.filter((c) => c.shown)) {
        const cell = byTitle.get(column.label);
        expect(cell, column.label).toBeDefined();
        expect(cell!.width, column.label).toBeGreaterThanOrEqual(column.min - 1);
        expect(cell!.fits, `${column.label} header text fits`).toBe(true);
      }
      for (let i = 1; i < cells.length; i++)
        expect(cells[i]!.left).toBeGreaterThanOrEqual(cells[i - 1]!.right - 1);
      expect(byTitle.get('Hostname')!.width).toBeLessThan(width * 0.35);
      // Rows stay one line: every rendered row has the virtual scroller's height.
      const heights = await suite.page.$$eval('[data-test=agent-row]', (rows) =>
        rows.map((r) => r.getBoundingClientRect().height),
      );
      expect(new Set(heights.map(Math.round))).toEqual(new Set([40]));
      const error = suite.page.locator('[data-test=agent-error]').first();
      expect(await error.getAttribute('title')).toContain(ERROR);
    });
  }

  step('remembers the chosen columns for this user across reloads', async () => {
    await suite.page.setViewportSize({ width: 1280, height: 800 });
    await suite.page.goto(`${suite.server.baseUrl}/agents`);
    await suite.page.locator('[data-test=agent-row]').first().waitFor();
    await suite.page.click('[data-test=column-chooser]');
    await suite.page.click('[data-test=column-group]');
    await suite.page.click('[data-test=column-platform]');
    await suite.page.keyboard.press('Escape');
    await expect.poll(async () => (await headerCells(suite.page)).map((c) => c.text)).toContain('Platform');
    expect((await headerCells(suite.page)).map((c) => c.text)).not.toContain('Group');
    await suite.page.reload();
    await suite.page.locator('[data-test=agent-row]').first().waitFor();
    const titles = (await headerCells(suite.page)).map((c) => c.text);
    expect(titles).toContain('Platform');
    expect(titles).not.toContain('Group');
    const keys = await suite.page.evaluate(() => Object.keys(localStorage));
    expect(keys.some((k) => /^flotilla\.agentColumns\.[0-9a-f-]{36}$/.test(k))).toBe(true);
    await screenshot(suite.page, 'agents-columns-chosen');
  });

  step('keeps the table where it is when a filter is set and Clear appears', async () => {
    await suite.page.goto(`${suite.server.baseUrl}/agents`);
    await suite.page.locator('[data-test=agent-row]').first().waitFor();
    const top = async () => (await suite.page.locator('.table-panel').boundingBox())!.y;
    const before = await top();
    await suite.page.click('[data-test=shortcut-platform]');
    await suite.page.getByRole('option', { name: 'Linux', exact: true }).click();
    await expect
      .poll(() => suite.page.locator('[data-test=agent-query]').inputValue())
      .toBe('platform:linux');
    await expect.poll(() => new URL(suite.page.url()).searchParams.get('q')).toBe('platform:linux');
    await suite.page.locator('[data-test=clear-filter]').waitFor({ state: 'visible' });
    expect(await top()).toBe(before);
    await suite.page.click('[data-test=clear-filter]');
    await expect.poll(() => suite.page.locator('[data-test=agent-query]').inputValue()).toBe('');
    expect(await top()).toBe(before);
  });

  step('asks for the count to be typed before revoking many agents', async () => {
    await suite.page.goto(`${suite.server.baseUrl}/agents`);
    await suite.page.locator('[data-test=agent-row]').first().waitFor();
    await suite.page.locator('.p-datatable-thead .p-checkbox').click();
    const count = Number(
      (await suite.page.locator('[data-test=selected-count]').textContent())!.match(/\d+/)![0],
    );
    expect(count).toBeGreaterThan(TYPED_CONFIRM_ABOVE);
    await suite.page.click('text=Revoke');
    await suite.page.locator('[data-test=bulk-confirm-text]', { hasText: 'cannot be undone' }).waitFor();
    const confirm = suite.page.locator('[data-test=bulk-confirm]');
    expect(await confirm.isDisabled()).toBe(true);
    await suite.page.fill('[data-test=bulk-type-count]', String(count - 1));
    expect(await confirm.isDisabled()).toBe(true);
    await screenshot(suite.page, 'agents-revoke-typed-confirm');
    await suite.page.fill('[data-test=bulk-type-count]', String(count));
    await expect.poll(() => confirm.isDisabled()).toBe(false);
    await suite.page.getByRole('button', { name: 'Cancel' }).click();
    expect(await suite.server.ctx.db.agent.count({ where: { revokedAt: { not: null } } })).toBe(0);
  });
});
