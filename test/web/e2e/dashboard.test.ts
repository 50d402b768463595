/**
 * The dashboard end to end, in Debian's chromium against a real server on port 0 with agents
 * simulated over the REST protocol: sign in; create a group and publish its pipeline; mint an
 * enrolment token; watch a new agent appear and turn "up to date" without a reload; bulk-upgrade
 * and watch the progress bar fill as results arrive; a viewer sees no edit controls.
 * Screenshots of each main page land in test/.screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../helpers/app.ts';
import { enrolOverHttp, heartbeatBody, postJson, type EnrolledTestAgent } from '../../helpers/factories.ts';
import { CLI_ACTOR } from '../../../api/fleet/context.ts';
import { createUser } from '../../../api/fleet/users.ts';
import { registerRelease } from '../../../api/fleet/releases.ts';
import { paths, HeartbeatResponse } from '../../../api/protocol/v1.ts';
import {
  buildDashboard,
  choose,
  openBrowser,
  requireChromium,
  screenshot,
  type BrowserSession,
} from './browser.ts';

const PASSWORD = 'correct-horse-battery-staple';
let server: TestServer;
let admin: BrowserSession;
let page: Page;
let token = '';
const agents: EnrolledTestAgent[] = [];

async function signIn(target: Page, email: string) {
  await target.goto(`${server.baseUrl}/`);
  await target.waitForURL(/\/login/);
  await target.fill('#email', email);
  await target.fill('#password', PASSWORD);
  await target.click('[data-test=sign-in]');
  await target.waitForURL(`${server.baseUrl}/`);
}

/** One heartbeat as an agent running its group's newest config; resolves what the server answers. */
async function heartbeat(agent: EnrolledTestAgent, overrides: Parameters<typeof heartbeatBody>[0] = {}) {
  const body = heartbeatBody({ appliedConfigVersion: await groupVersion('web-servers'), ...overrides });
  const res = await postJson(server.baseUrl + paths.heartbeat(agent.agentId), body, agent.agentToken);
  expect(res.status).toBe(200);
  return HeartbeatResponse.parse(await res.json()).data;
}

async function groupVersion(slug: string): Promise<number> {
  return (await server.ctx.db.group.findUniqueOrThrow({ where: { slug } })).configVersion;
}

const row = (hostname: string) => page.locator('[data-test=agent-row]', { hasText: hostname });

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
  await createUser(server.ctx, CLI_ACTOR, { email: 'admin@example.com', password: PASSWORD, role: 'admin' });
  await createUser(server.ctx, CLI_ACTOR, {
    email: 'viewer@example.com',
    password: PASSWORD,
    role: 'viewer',
  });
  await registerRelease(server.ctx, {
    version: '0.2.0',
    bundle: Buffer.from('console.log("flotilla-agent 0.2.0")'),
  });
  admin = await openBrowser();
  page = admin.page;
});

/** A step of the scenario; fails with the setup's reason (chromium missing) rather than being skipped. */
function step(name: string, body: () => Promise<void>) {
  it(name, async () => {
    if (setupError) throw setupError;
    await body();
  });
}

afterAll(async () => {
  await admin?.close();
  await server?.close();
});

describe('dashboard in a real browser', () => {
  step('signs in, redirecting from the page asked for and back', async () => {
    await page.goto(`${server.baseUrl}/groups`);
    await page.waitForURL(/\/login\?next=\/groups/);
    await screenshot(page, '01-login');
    await page.fill('#email', 'admin@example.com');
    await page.fill('#password', 'wrong password!');
    await page.click('[data-test=sign-in]');
    await page.locator('[data-test=login-error]').waitFor();
    await page.fill('#password', PASSWORD);
    await page.click('[data-test=sign-in]');
    await page.waitForURL(`${server.baseUrl}/groups`);
    await page.getByRole('heading', { name: 'Groups', exact: true }).waitFor();
  });

  step(
    'creates a group, builds its pipeline as a draft and publishes it, and shows the YAML agents get',
    async () => {
      await page.click('[data-test=new-group]');
      await page.fill('#group-name', 'Web servers');
      await page.click('[data-test=save-group]');
      await page.waitForURL(`${server.baseUrl}/groups/web-servers`);

      await page.locator('[data-test=add-source]').click();
      await page.getByRole('option', { name: 'demo_logs', exact: true }).click();
      await choose(page, 'component-format', 'json');
      await page.locator('[data-test=add-sink]').click();
      await page.getByRole('option', { name: 'console', exact: true }).click();
      await choose(page, 'component-encoding-codec', 'json');
      await page.locator('[data-test=draft-valid]').waitFor();
      await page.click('[data-test=publish]');
      await page.fill('#publish-message', 'Demo logs to the console');
      await page.click('[data-test=confirm-publish]');

      const version = await groupVersion('web-servers');
      await page.locator('[data-test=config-version]', { hasText: `config v${version}` }).waitFor();
      const yaml = page.locator('pre code.hljs');
      await expect.poll(() => yaml.textContent()).toContain('demo_logs');
      expect(await yaml.textContent()).toContain('console');
      await screenshot(page, '03-group');
    },
  );

  step('mints an enrolment token shown once with the exact install commands', async () => {
    await page.click('text=Enrolment tokens');
    await page.click('[data-test=mint-token]');
    await choose(page, 'mint-group', 'Web servers');
    await page.click('[data-test=mint]');
    token = (await page.locator('[data-test=secret]').textContent())?.trim() ?? '';
    expect(token).toMatch(/^EBT_/);
    await expect
      .poll(() => page.locator('pre code.hljs').first().textContent())
      .toContain(`\ncurl -fsSL ${server.baseUrl}/install.sh | sudo sh -s -- --token ${token}`);
    await screenshot(page, '04-token-minted');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.locator('[data-test=token-row]').first().waitFor();
  });

  step('shows a new agent live and turns it "up to date" without a reload', async () => {
    await page.click('nav >> text=Agents');
    await page.waitForURL(`${server.baseUrl}/agents`);
    await page.evaluate(() => ((window as unknown as { e2eMarker: number }).e2eMarker = 1));
    agents.push(await enrolOverHttp(server.baseUrl, token, { hostname: 'web-01.example.com' }));
    await row('web-01.example.com').getByText('Never seen').waitFor();
    await row('web-01.example.com').getByText('Behind').waitFor();

    await heartbeat(agents[0]);
    await row('web-01.example.com').getByText('Up to date').waitFor();
    await row('web-01.example.com').getByText('Online').waitFor();
    expect(await page.evaluate(() => (window as unknown as { e2eMarker?: number }).e2eMarker)).toBe(1);
  });

  step('bulk-upgrades and fills the progress bar as agents report', async () => {
    for (const hostname of ['web-02.example.com', 'web-03.example.com']) {
      const agent = await enrolOverHttp(server.baseUrl, token, { hostname });
      await heartbeat(agent);
      agents.push(agent);
    }
    await row('web-03.example.com').getByText('Online').waitFor();
    await screenshot(page, '05-agents');
    await page.locator('.p-datatable-thead .p-checkbox').click();
    await page.locator('[data-test=selected-count]', { hasText: '3 agents selected' }).waitFor();
    await page.click('[data-test=bulk-upgrade]');
    await page.locator('[data-test=bulk-confirm-text]', { hasText: 'Upgrade 3 agents to 0.2.0?' }).waitFor();
    await page.click('[data-test=bulk-confirm]');
    await page.waitForURL(/\/actions\?bulk=/);
    const bar = page.locator('[data-test=bulk-bar]');
    await expect.poll(() => bar.getAttribute('data-value')).toBe('0');

    const expected = ['33', '66', '100']; // rounded down: 100 only when every action finished
    for (const [i, agent] of agents.entries()) {
      const { pendingActions } = await heartbeat(agent);
      expect(pendingActions).toHaveLength(1);
      await heartbeat(agent, {
        agentVersion: '0.2.0',
        actionResults: [{ actionId: pendingActions[0].id, status: 'done' }],
      });
      await expect.poll(() => bar.getAttribute('data-value'), { timeout: 10_000 }).toBe(expected[i]);
    }
    await page.locator('[data-test=bulk-done]', { hasText: '3 Done' }).waitFor();
    await screenshot(page, '06-bulk-upgrade');
  });

  step('shows one agent with its details and action history', async () => {
    await page.click('nav >> text=Agents');
    await row('web-01.example.com').getByRole('link', { name: 'web-01.example.com' }).click();
    await page.getByRole('heading', { name: 'web-01.example.com' }).waitFor();
    await page.locator('[data-test=action-row]', { hasText: 'Upgrade agent to 0.2.0' }).waitFor();
    await screenshot(page, '07-agent');
  });

  step('renders the overview and administration pages, and shows a new API token once', async () => {
    await page.click('nav >> text=Overview');
    await page.locator('[data-test=count-agents]', { hasText: '3' }).waitFor();
    await page.locator('[data-test=count-online]', { hasText: '3' }).waitFor();
    await screenshot(page, '02-overview');
    await page.click('nav >> text=Groups');
    await page.locator('[data-test=group-row]', { hasText: 'Web servers' }).waitFor();
    await screenshot(page, '08-groups');
    await page.click('nav >> text=Administration');
    await page.getByText('viewer@example.com').waitFor();
    await screenshot(page, '09-admin-users');
    await page.getByRole('tab', { name: 'API tokens' }).click();
    await page.getByRole('button', { name: 'New API token' }).click();
    await page.fill('#token-name', 'ci-deploy');
    await page.getByRole('button', { name: 'Create token' }).click();
    expect(await page.locator('[data-test=secret]').textContent()).toMatch(/^\s*FLT_/);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByText('ci-deploy').waitFor();
    await page.getByRole('tab', { name: 'Audit log' }).click();
    await page.getByText('group.create').first().waitFor();
    await screenshot(page, '10-admin-audit');
  });

  step('gives a viewer no edit controls', async () => {
    const viewer = await openBrowser();
    try {
      const v = viewer.page;
      await signIn(v, 'viewer@example.com');
      expect(await v.locator('nav >> text=Administration').count()).toBe(0);
      await v.locator('[data-test=role]', { hasText: 'read-only' }).waitFor();
      await v.click('nav >> text=Groups');
      await v.locator('[data-test=group-row]').getByRole('link', { name: 'Web servers' }).click();
      await v.locator('[data-test=node-demo_logs]').waitFor();
      expect(
        await v.locator('[data-test=add-source], [data-test=add-sink], [data-test=publish]').count(),
      ).toBe(0);
      expect(await v.getByRole('button', { name: 'Edit' }).count()).toBe(0);
      await v.click('nav >> text=Agents');
      await v.locator('[data-test=agent-row]').first().waitFor();
      expect(await v.locator('[data-test=agent-row] .p-checkbox').count()).toBe(0);
      await screenshot(v, '11-viewer-agents');
      await v.click('nav >> text=Enrolment tokens');
      await v.locator('[data-test=token-row]').first().waitFor();
      expect(await v.locator('[data-test=mint-token]').count()).toBe(0);
      await v.goto(`${server.baseUrl}/admin/users`);
      await v.getByText('/admin/users needs the admin role; you are signed in as viewer.').waitFor();
      await v.waitForURL(`${server.baseUrl}/`);
      expect(viewer.errors).toEqual([]);
    } finally {
      await viewer.close();
    }
  });

  step('signs out, and logged no console errors on the way', async () => {
    await page.click('[data-test=sign-out]');
    await page.waitForURL(/\/login/);
    await page.goto(`${server.baseUrl}/agents`);
    await page.waitForURL(/\/login\?next=\/agents/);
    expect(admin.errors).toEqual([]);
  });
});
