/**
 * The agent query language in the browser (server-parsed; needs the dashsrv schema: `query` on
 * AgentFilter, `agentQueryAssist`, `agentFailures`): autocomplete of fields and values with the
 * keyboard, the query kept in the URL, a syntax error marked at its position and not applied,
 * and the failures page grouping failing agents by message with links to exactly those agents.
 * Screenshots land in test/.screenshots/query-*.png and failures-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../helpers/app.ts';
import { CLI_ACTOR } from '../../../api/fleet/context.ts';
import { createUser } from '../../../api/fleet/users.ts';
import { buildDashboard, openBrowser, requireChromium, screenshot, type BrowserSession } from './browser.ts';
import { seedFleet, type SeededAgent } from './seed.ts';

const PASSWORD = 'correct-horse-battery-staple';
const WEB_ERROR = 'sinks.out: unknown field `encodingg`';
const DB_ERROR = 'sources.journal: permission denied reading /var/log/journal';
let server: TestServer;
let browser: BrowserSession;
let page: Page;
let seeded: SeededAgent[] = [];
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
  seeded = [
    ...(await seedFleet(server, { groups: { web: 60 }, failEvery: 5, errorMessage: WEB_ERROR })),
    ...(await seedFleet(server, { groups: { db: 40 }, failEvery: 4, errorMessage: DB_ERROR })),
  ];
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

const box = () => page.locator('[data-test=agent-query]');
const urlQuery = () => new URL(page.url()).searchParams.get('q');
const suggestion = (text: string) => page.locator('[data-test=query-suggestion]', { hasText: text });

describe('agent query language and failures in a real browser', () => {
  step('completes fields and values from the keyboard and keeps the query in the URL', async () => {
    await page.goto(`${server.baseUrl}/agents`);
    await page.locator('[data-test=agent-row]').first().waitFor();
    await box().click();
    await box().pressSequentially('statu');
    await suggestion('status').first().waitFor();
    await page.keyboard.press('Tab');
    await expect.poll(() => box().inputValue()).toMatch(/^status/);
    if (!(await box().inputValue()).endsWith(':'))
      await box()
        .press('End')
        .then(() => box().pressSequentially(':'));
    await suggestion('online').first().waitFor();
    await screenshot(page, 'query-autocomplete');
    // Move onto "online" with the arrows, accept with Enter.
    const labels = await page.locator('[data-test=query-suggestion]').allTextContents();
    const index = labels.findIndex((l) => l.includes('online'));
    for (let i = 0; i < index; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(() => box().inputValue()).toMatch(/^status:online\s*$/);
    await page.keyboard.press('Escape');
    await expect.poll(urlQuery, { timeout: 5000 }).toBe('status:online');
    const failed = seeded.filter((a) => a.failed).length;
    await expect.poll(() => page.locator('[data-test=agent-row]').count()).toBe(failed);
    await page.reload();
    await expect.poll(() => box().inputValue()).toBe('status:online');
  });

  step('marks a syntax error at its position and does not apply the query', async () => {
    await page.goto(`${server.baseUrl}/agents?q=group%3Aweb`);
    await page.locator('[data-test=agent-row]').first().waitFor();
    await box().fill('');
    await box().pressSequentially('group:web agentVersion<');
    await page.locator('[data-test=query-error]').waitFor();
    await page.locator('[data-test=query-error-marker]').waitFor();
    expect(await box().getAttribute('aria-invalid')).toBe('true');
    // Escape closes the value suggestions; Enter then tries to apply the faulty query.
    await box().press('Escape');
    await expect.poll(() => page.locator('[data-test=query-suggestions]').isVisible()).toBe(false);
    await box().press('Enter');
    await screenshot(page, 'query-syntax-error');
    expect(await box().inputValue()).toBe('group:web agentVersion<');
    expect(urlQuery()).toBe('group:web');
  });

  step('groups failing agents by message and links to exactly those agents', async () => {
    await page.goto(`${server.baseUrl}/`);
    await page.click('[data-test=config-failed]');
    await page.waitForURL(/\/failures/);
    const failures = page.locator('[data-test=failure]');
    await expect.poll(() => failures.count()).toBe(2);
    const webFailed = seeded.filter((a) => a.failed && a.group === 'web').length;
    const web = failures.filter({ hasText: 'encodingg' });
    expect(await web.locator('[data-test=failure-count]').textContent()).toContain(String(webFailed));
    await screenshot(page, 'failures-page');
    await web.locator('[data-test=failure-agents-link]').click();
    await page.waitForURL(/\/agents\?q=/);
    await expect.poll(() => page.locator('[data-test=agent-row]').count()).toBe(webFailed);
    expect(await page.locator('[data-test=agent-error]').first().textContent()).toContain('encodingg');
  });

  step('reaches the failures of one group from its "N failed" figure', async () => {
    await page.goto(`${server.baseUrl}/groups/db`);
    await page.locator('[data-test=failed-link]').click();
    await page.waitForURL(/\/failures\?group=/);
    await expect.poll(() => page.locator('[data-test=failure]').count()).toBe(1);
    expect(await page.locator('[data-test=failure-message]').textContent()).toContain('permission denied');
  });
});
