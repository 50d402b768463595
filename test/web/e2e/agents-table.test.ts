/**
 * The agents page at the widths operators use (1024, 1280, 1920 px) over a few hundred seeded
 * agents: columns keep their minimum widths and never overlap, Hostname does not eat a wide
 * screen, labels show as chips with "+N", the config error has its own column; the column chooser
 * is remembered per user; the filter bar never moves the table; moving or revoking more than a
 * few agents needs the count typed. Screenshots land in test/.screenshots/agents-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../helpers/app.ts';
import { CLI_ACTOR } from '../../../api/fleet/context.ts';
import { createUser } from '../../../api/fleet/users.ts';
import { AGENT_COLUMNS } from '../../../web/src/lib/agent-columns.ts';
import { TYPED_CONFIRM_ABOVE } from '../../../web/src/lib/bulk-confirm.ts';
import { buildDashboard, openBrowser, requireChromium, screenshot, type BrowserSession } from './browser.ts';
import { seedFleet } from './seed.ts';

const PASSWORD = 'correct-horse-battery-staple';
const ERROR = 'sinks.out: unknown field `encodingg`, expected one of `encoding`, `target`, `buffer`';
let server: TestServer;
let browser: BrowserSession;
let page: Page;
let setupError: unknown = null;

beforeAll(async () => {
  try {
    requireChromium();
  } catch (error) {
    setupError = error;
    return;
  }
  buildDashboard();
  server = await startTestServer();
  await createUser(server.ctx, CLI_ACTOR, { email: 'ops@example.com', password: PASSWORD, role: 'admin' });
  await seedFleet(server, {
    groups: { 'web-frontend-servers-eu-west': 180, db: 60, edge: 60 },
    labelEvery: 2,
    labels: { env: 'prod', team: 'platform-observability', region: 'eu-west-1', tier: 'gold', rack: 'r12' },
    failEvery: 7,
    errorMessage: ERROR,
  });
  browser = await openBrowser();
  page = browser.page;
  await page.goto(`${server.baseUrl}/login`);
  await page.fill('#email', 'ops@example.com');
  await page.fill('#password', PASSWORD);
  await page.click('[data-test=sign-in]');
  await page.waitForURL(`${server.baseUrl}/`);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

function step(name: string, body: () => Promise<void>) {
  it(name, async () => {
    if (setupError) throw setupError;
    await body();
  });
}

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
      await page.setViewportSize({ width, height: 800 });
      await page.goto(`${server.baseUrl}/agents`);
      await page.locator('[data-test=agent-row]').first().waitFor();
      await page.locator('[data-test=labels-more]').first().waitFor();
      await page.locator('[data-test=agent-error]', { hasText: 'unknown field' }).first().waitFor();
      await screenshot(page, `agents-${width}`);

      const cells = await headerCells(page);
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
      const heights = await page.$$eval('[data-test=agent-row]', (rows) =>
        rows.map((r) => r.getBoundingClientRect().height),
      );
      expect(new Set(heights.map(Math.round))).toEqual(new Set([40]));
      const error = page.locator('[data-test=agent-error]').first();
      expect(await error.getAttribute('title')).toContain(ERROR);
    });
  }

  step('remembers the chosen columns for this user across reloads', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${server.baseUrl}/agents`);
    await page.locator('[data-test=agent-row]').first().waitFor();
    await page.click('[data-test=column-chooser]');
    await page.click('[data-test=column-group]');
    await page.click('[data-test=column-platform]');
    await page.keyboard.press('Escape');
    await expect.poll(async () => (await headerCells(page)).map((c) => c.text)).toContain('Platform');
    expect((await headerCells(page)).map((c) => c.text)).not.toContain('Group');
    await page.reload();
    await page.locator('[data-test=agent-row]').first().waitFor();
    const titles = (await headerCells(page)).map((c) => c.text);
    expect(titles).toContain('Platform');
    expect(titles).not.toContain('Group');
    const keys = await page.evaluate(() => Object.keys(localStorage));
    expect(keys.some((k) => /^flotilla\.agentColumns\.[0-9a-f-]{36}$/.test(k))).toBe(true);
    await screenshot(page, 'agents-columns-chosen');
  });

  step('keeps the table where it is when a filter is set and Clear appears', async () => {
    await page.goto(`${server.baseUrl}/agents`);
    await page.locator('[data-test=agent-row]').first().waitFor();
    const top = async () => (await page.locator('.table-panel').boundingBox())!.y;
    const before = await top();
    await page.click('[data-test=shortcut-platform]');
    await page.getByRole('option', { name: 'Linux', exact: true }).click();
    await expect.poll(() => page.locator('[data-test=agent-query]').inputValue()).toBe('platform:linux');
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('platform:linux');
    await page.locator('[data-test=clear-filter]').waitFor({ state: 'visible' });
    expect(await top()).toBe(before);
    await page.click('[data-test=clear-filter]');
    await expect.poll(() => page.locator('[data-test=agent-query]').inputValue()).toBe('');
    expect(await top()).toBe(before);
  });

  step('asks for the count to be typed before revoking many agents', async () => {
    await page.goto(`${server.baseUrl}/agents`);
    await page.locator('[data-test=agent-row]').first().waitFor();
    await page.locator('.p-datatable-thead .p-checkbox').click();
    const count = Number((await page.locator('[data-test=selected-count]').textContent())!.match(/\d+/)![0]);
    expect(count).toBeGreaterThan(TYPED_CONFIRM_ABOVE);
    await page.click('text=Revoke');
    await page.locator('[data-test=bulk-confirm-text]', { hasText: 'cannot be undone' }).waitFor();
    const confirm = page.locator('[data-test=bulk-confirm]');
    expect(await confirm.isDisabled()).toBe(true);
    await page.fill('[data-test=bulk-type-count]', String(count - 1));
    expect(await confirm.isDisabled()).toBe(true);
    await screenshot(page, 'agents-revoke-typed-confirm');
    await page.fill('[data-test=bulk-type-count]', String(count));
    await expect.poll(() => confirm.isDisabled()).toBe(false);
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await server.ctx.db.agent.count({ where: { revokedAt: { not: null } } })).toBe(0);
  });
});
