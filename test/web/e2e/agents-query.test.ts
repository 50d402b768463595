/**
 * The agent query language in the browser (server-parsed; needs the dashsrv schema: `query` on
 * AgentFilter, `agentQueryAssist`, `agentFailures`): autocomplete of fields and values with the
 * keyboard, the query kept in the URL, a syntax error marked at its position and not applied,
 * the failures page grouping failing agents by message with links to exactly those agents, and the
 * overview's and a group's "N failed" figures listing the failing agents on the agents list.
 * Screenshots land in test/.screenshots/query-*.png and failures-*.png.
 */
import { describe, expect } from 'vitest';
import { screenshot } from './browser.ts';
import { browserSuite } from './suite.ts';
import { seedFleet, type SeededAgent } from './seed.ts';

const WEB_ERROR = 'sinks.out: unknown field `encodingg`';
const DB_ERROR = 'sources.journal: permission denied reading /var/log/journal';
let seeded: SeededAgent[] = [];
const suite = browserSuite({
  user: { email: 'ops@example.com', role: 'admin' },
  seed: async (server) => {
    seeded = [
      ...(await seedFleet(server, { groups: { web: 60 }, failEvery: 5, errorMessage: WEB_ERROR })),
      ...(await seedFleet(server, { groups: { db: 40 }, failEvery: 4, errorMessage: DB_ERROR })),
    ];
  },
});
const { step } = suite;

const box = () => suite.page.locator('[data-test=agent-query]');
const urlQuery = () => new URL(suite.page.url()).searchParams.get('q');
const suggestion = (text: string) => suite.page.locator('[data-test=query-suggestion]', { hasText: text });

describe('agent query language and failures in a real browser', () => {
  step('completes fields and values from the keyboard and keeps the query in the URL', async () => {
    await suite.page.goto(`${suite.server.baseUrl}/agents`);
    await suite.page.locator('[data-test=agent-row]').first().waitFor();
    await box().click();
    await box().pressSequentially('statu');
    await suggestion('status').first().waitFor();
    await suite.page.keyboard.press('Tab');
    await expect.poll(() => box().inputValue()).toMatch(/^status/);
    if (!(await box().inputValue()).endsWith(':'))
      await box()
        .press('End')
        .then(() => box().pressSequentially(':'));
    await suggestion('online').first().waitFor();
    await screenshot(suite.page, 'query-autocomplete');
    // Move onto "online" with the arrows (one press at a time, reading the highlighted suggestion, so
    // a list still settling under load cannot make us count wrong), accept with Enter.
    const highlighted = suite.page.locator('[data-test=query-suggestion][aria-selected=true]');
    await expect
      .poll(async () => {
        if ((await highlighted.textContent())?.includes('online')) return true;
        await suite.page.keyboard.press('ArrowDown');
        return false;
      })
      .toBe(true);
    await suite.page.keyboard.press('Enter');
    await expect.poll(() => box().inputValue()).toMatch(/^status:online\s*$/);
    // A query without errors applies after a pause. (No Escape here: in a search box whose list is
    // closed, Escape is the browser's "clear", and the list may not have reopened yet under load.)
    await expect.poll(urlQuery, { timeout: 15_000 }).toBe('status:online');
    const failed = seeded.filter((a) => a.failed).length;
    await expect.poll(() => suite.page.locator('[data-test=agent-row]').count()).toBe(failed);
    await suite.page.reload();
    await expect.poll(() => box().inputValue()).toBe('status:online');
  });

  step('marks a syntax error at its position and does not apply the query', async () => {
    await suite.page.goto(`${suite.server.baseUrl}/agents?q=group%3Aweb`);
    await suite.page.locator('[data-test=agent-row]').first().waitFor();
    await box().fill('');
    await box().pressSequentially('group:web agentVersion<');
    await suite.page.locator('[data-test=query-error]').waitFor();
    await suite.page.locator('[data-test=query-error-marker]').waitFor();
    expect(await box().getAttribute('aria-invalid')).toBe('true');
    // Escape closes the value suggestions (once they are shown for the whole text: with the list
    // closed, Escape would clear the search box); Enter then tries to apply the faulty query.
    await suite.page.locator('[data-test=query-suggestions]').waitFor();
    await box().press('Escape');
    await expect.poll(() => suite.page.locator('[data-test=query-suggestions]').isVisible()).toBe(false);
    await box().press('Enter');
    await screenshot(suite.page, 'query-syntax-error');
    expect(await box().inputValue()).toBe('group:web agentVersion<');
    expect(urlQuery()).toBe('group:web');
  });

  step('groups failing agents by message and links to exactly those agents', async () => {
    // The overview's "failed" figure lists every failing agent, like every other "N failed".
    await suite.page.goto(`${suite.server.baseUrl}/`);
    await suite.page.click('[data-test=config-failed]');
    await suite.page.waitForURL(/\/agents\?q=/);
    const allFailed = seeded.filter((a) => a.failed).length;
    await expect.poll(() => suite.page.locator('[data-test=agent-row]').count()).toBe(allFailed);
    await suite.page.goto(`${suite.server.baseUrl}/failures`);
    const failures = suite.page.locator('[data-test=failure]');
    await expect.poll(() => failures.count()).toBe(2);
    const webFailed = seeded.filter((a) => a.failed && a.group === 'web').length;
    const web = failures.filter({ hasText: 'encodingg' });
    expect(await web.locator('[data-test=failure-count]').textContent()).toContain(String(webFailed));
    await screenshot(suite.page, 'failures-page');
    await web.locator('[data-test=failure-agents-link]').click();
    await suite.page.waitForURL(/\/agents\?q=/);
    await expect.poll(() => suite.page.locator('[data-test=agent-row]').count()).toBe(webFailed);
    expect(await suite.page.locator('[data-test=agent-error]').first().textContent()).toContain('encodingg');
  });

  step('reaches the failing agents of one group from its "N failed" figure', async () => {
    await suite.page.goto(`${suite.server.baseUrl}/groups/db`);
    await suite.page.locator('[data-test=failed-link]').click();
    await suite.page.waitForURL(/\/agents\?q=/);
    const dbFailed = seeded.filter((a) => a.failed && a.group === 'db').length;
    await expect.poll(() => suite.page.locator('[data-test=agent-row]').count()).toBe(dbFailed);
    expect(await suite.page.locator('[data-test=agent-error]').first().textContent()).toContain(
      'permission denied',
    );
  });
});
