/**
 * Accessibility and guidance, in Debian's chromium against a real server: axe-core finds no
 * serious or critical violation on any main page, in the light and the dark theme; an empty fleet
 * shows the getting-started steps; a failing agent with no good config says so; the audit log
 * shows a field-level diff. The group page (pipeline editor) and its history are among the pages
 * checked. Screenshots land in test/.screenshots/ (a11y-*).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../helpers/app.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
} from '../../helpers/factories.ts';
import { CLI_ACTOR } from '../../../api/fleet/context.ts';
import { createUser } from '../../../api/fleet/users.ts';
import { createGroup, updateGroup } from '../../../api/fleet/groups.ts';
import { paths } from '../../../api/protocol/v1.ts';
import {
  buildDashboard,
  choose,
  openBrowser,
  requireChromium,
  screenshot,
  type BrowserSession,
} from './browser.ts';

/**
 * axe-core's source. page.addScriptTag inlines it, which the server's CSP (script-src 'self')
 * rightly refuses; page.evaluate runs it through DevTools, which CSP does not govern.
 */
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const PASSWORD = 'correct-horse-battery-staple';
let server: TestServer;
let browser: BrowserSession;
let page: Page;
let setupError: unknown = null;
let agentId = '';
let groupSlug = '';

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Run axe-core on the page as it is; the serious and critical violations, summarised. */
async function seriousViolations(): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run(context: unknown): Promise<{ violations: unknown[] }> };
      }
    ).axe;
    return (await axe.run(document)).violations;
  });
  return (violations as Violation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Open `path` in the signed-in browser and wait until `ready` shows (data loaded, not a skeleton). */
async function visit(path: string, ready: string) {
  await page.goto(`${server.baseUrl}${path}`);
  await page.locator(ready).first().waitFor();
  await page.locator('[aria-busy=true]').first().waitFor({ state: 'detached' });
}

const PAGES: [name: string, path: () => string, ready: string][] = [
  ['overview', () => '/', '[data-test=getting-started], .status-cards, h2'],
  ['agents', () => '/agents', '[data-test=agent-row]'],
  ['agent', () => `/agents/${agentId}`, '[data-test=config-error]'],
  ['groups', () => '/groups', 'h1'],
  ['group', () => `/groups/${groupSlug}`, '[data-test=node-out]'],
  ['pipeline history', () => `/groups/${groupSlug}/history`, '[data-test=pipeline-diff]'],
  ['tokens', () => '/tokens', 'h1'],
  ['actions', () => '/actions', 'h1'],
  ['admin', () => '/admin/users', 'h1'],
  ['audit', () => '/admin/audit', 'td'],
];

function step(name: string, body: () => Promise<void>, timeoutMs?: number) {
  it(
    name,
    async () => {
      if (setupError) throw setupError;
      await body();
    },
    timeoutMs,
  );
}

beforeAll(async () => {
  try {
    requireChromium();
  } catch (error) {
    setupError = error;
    return;
  }
  buildDashboard();
  server = await startTestServer();
  await createUser(server.ctx, CLI_ACTOR, { email: 'admin@example.com', password: PASSWORD, role: 'admin' });
  browser = await openBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('accessibility and guidance in a real browser', () => {
  step('the sign-in page has no serious violations', async () => {
    await page.goto(`${server.baseUrl}/`);
    await page.waitForURL(/\/login/);
    await page.locator('#email').waitFor();
    const found = await seriousViolations();
    await page.fill('#email', 'admin@example.com');
    await page.fill('#password', PASSWORD);
    await page.click('[data-test=sign-in]');
    await page.waitForURL(`${server.baseUrl}/`);
    expect(found).toEqual([]);
  });

  step('an empty overview says how to create a group and enrol the first agent', async () => {
    const start = page.locator('[data-test=getting-started]');
    await start.waitFor();
    expect(await start.textContent()).toContain('Create a group');
    expect(await start.textContent()).toContain('Install Vector and the agent');
    await screenshot(page, 'a11y-empty-overview');
    expect(await seriousViolations()).toEqual([]);
  });

  step('a skip link leads past the navigation to the page', async () => {
    await page.keyboard.press('Tab');
    const skip = page.locator('.skip-link');
    expect(await skip.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main-content');
  });

  step('an agent with no good config says so, and what to check', async () => {
    const group = await createGroupWithPipeline(server.ctx);
    groupSlug = group.slug;
    await createGroup(server.ctx, CLI_ACTOR, { slug: 'fresh', name: 'Fresh group' });
    await updateGroup(server.ctx, CLI_ACTOR, { id: group.id, name: 'Web servers', description: 'nginx' });
    const agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id), {
      hostname: 'web-01',
    });
    agentId = agent.agentId;
    const body = heartbeatBody({
      vectorVersion: '',
      vectorRunning: false,
      appliedConfigVersion: 0,
      configError: {
        version: agent.configVersion,
        message: 'vector validate could not run: spawn vector ENOENT',
      },
    });
    expect((await postJson(server.baseUrl + paths.heartbeat(agentId), body, agent.agentToken)).status).toBe(
      200,
    );
    await visit(`/agents/${agentId}`, '[data-test=config-error]');
    const notice = page.locator('[data-test=config-error]');
    expect(await notice.textContent()).toContain('has no good config yet');
    expect(await notice.textContent()).not.toContain('keeps its last good config');
    await page.locator('[data-test=config-error-no-vector]').waitFor();
    await page.locator('[data-test=offline-rule]').waitFor();
  });

  step('a new group says what to add first', async () => {
    await visit('/groups/fresh', '[data-test=group-start]');
    expect(await page.locator('[data-test=group-start]').textContent()).toContain('What to add first');
  });

  step('the audit log names targets and shows a field-level diff', async () => {
    await visit('/admin/audit', 'td');
    const row = page.locator('tr', { hasText: 'group.update' }).first();
    expect(await row.textContent()).toContain('Web servers');
    await row.locator('button').first().click();
    const diff = page.locator('.audit-diff').first();
    await diff.waitFor();
    const text = await diff.textContent();
    expect(text).toContain('description');
    expect(text).toContain('nginx');
    await screenshot(page, 'a11y-audit-diff');
  });

  step('the mint dialog opens on its first field and then waits live for the first agent', async () => {
    await visit('/tokens', 'h1');
    await page.click('[data-test=mint-token]');
    await page.locator('.p-dialog').waitFor();
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.closest('.p-dialog-content') !== null))
      .toBe(true);
    await choose(page, 'mint-group', 'Web servers');
    await page.click('[data-test=mint]');
    const token = (await page.locator('[data-test=secret]').textContent())?.trim() ?? '';
    expect(token).toMatch(/^EBT_/);
    const wait = page.locator('[data-test=first-agent]');
    await expect.poll(() => wait.textContent()).toContain('Waiting for the first agent');
    const agent = await enrolOverHttp(server.baseUrl, token, { hostname: 'web-02' });
    await expect.poll(() => wait.textContent()).toContain('web-02');
    const body = heartbeatBody({ appliedConfigVersion: agent.configVersion });
    expect(
      (await postJson(server.baseUrl + paths.heartbeat(agent.agentId), body, agent.agentToken)).status,
    ).toBe(200);
    await expect
      .poll(() => wait.textContent(), { timeout: 15_000 })
      .toMatch(new RegExp(`web-02\\s+connected, config v${agent.configVersion} applied`));
    await screenshot(page, 'a11y-first-agent');
    await page.getByRole('button', { name: 'Done' }).click();
  });

  for (const theme of ['light', 'dark'] as const) {
    step(
      `every main page has no serious or critical violations (${theme} theme)`,
      async () => {
        await visit('/', 'h1');
        const dark = await page.evaluate(() => document.documentElement.classList.contains('fl-dark'));
        if (dark !== (theme === 'dark')) await page.click('[data-test=theme-toggle]');
        expect(await page.evaluate(() => document.documentElement.classList.contains('fl-dark'))).toBe(
          theme === 'dark',
        );
        const found: Record<string, string[]> = {};
        for (const [name, path, ready] of PAGES) {
          await visit(path(), ready);
          found[name] = await seriousViolations();
          if (theme === 'dark' && ['overview', 'agent', 'audit', 'group', 'pipeline history'].includes(name))
            await screenshot(page, `a11y-dark-${name}`);
        }
        expect(found).toEqual(Object.fromEntries(PAGES.map(([name]) => [name, []])));
      },
      120_000,
    );
  }

  step('the theme choice is remembered across a reload', async () => {
    await page.reload();
    await page.locator('h1').first().waitFor();
    expect(await page.evaluate(() => document.documentElement.classList.contains('fl-dark'))).toBe(true);
    expect(browser.errors).toEqual([]);
  });
});
