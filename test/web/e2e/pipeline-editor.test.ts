/**
 * The pipeline editor and history end to end, in Debian's chromium against a real server with an
 * agent speaking the REST protocol: build source → remap (VRL) → route → two sinks in the graph
 * editor, see the server's problems on the VRL line and on the nodes, publish with a message, the
 * agent gets the new config; the history shows the diff; a rollback publishes the old content as
 * a new version, which the agent gets. The graph fills its pane legibly, with and without the side
 * panel. Screenshots: pipeline-editor, pipeline-graph, pipeline-publish, pipeline-history.
 */
import { describe, expect } from 'vitest';
import type { Page } from 'playwright-core';
import { browserSuite } from './suite.ts';
import { choose, screenshot } from './browser.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  mintToken,
  type EnrolledTestAgent,
} from '../../helpers/factories.ts';
import { headers, paths } from '../../../api/protocol/v1.ts';
import { NODE_SIZE } from '../../../web/src/lib/pipeline-graph.ts';

let agent: EnrolledTestAgent;
let slug = '';
const suite = browserSuite({
  user: { email: 'editor@example.com', role: 'editor' },
  seed: async (server) => {
    const group = await createGroupWithPipeline(server.ctx, 'web');
    slug = group.slug;
    agent = await enrolOverHttp(server.baseUrl, await mintToken(server.ctx, group.id), {
      hostname: 'web-01',
    });
  },
});

/** The agent's config poll: the version and YAML it gets after `since`. */
async function pollConfig(since: number): Promise<{ version: number; yaml: string }> {
  const res = await fetch(`${suite.server.baseUrl}${paths.config(agent.agentId)}?since=${since}`, {
    headers: { authorization: `Bearer ${agent.agentToken}` },
  });
  expect(res.status).toBe(200);
  return { version: Number(res.headers.get(headers.configVersion)), yaml: await res.text() };
}

/** Add a component of `type` from the toolbar (it reads the selected component, if any). */
async function add(page: Page, kind: 'source' | 'transform' | 'sink', type: string) {
  await page.locator(`[data-test=add-${kind}]`).click();
  await page.getByRole('option', { name: type, exact: true }).click();
  await page.locator('[data-test=component-panel]').waitFor();
}

/** Wait until every edit is stored and the banner shows the server's verdict. */
async function saved(page: Page) {
  const banner = page.locator('[data-test=draft-banner]');
  await expect.poll(() => banner.textContent()).not.toContain('Saving');
}

async function typeProgram(page: Page, program: string) {
  const editor = page.locator('[data-test=vrl-editor] .cm-content');
  await editor.click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await page.keyboard.type(program);
}

/**
 * The graph fills its pane at a legible zoom: the nodes `ids` are inside the pane at three
 * quarters of their size or more, and the route's labelled wires do not overlap.
 */
async function expectLegibleGraph(page: Page, ids: string[]): Promise<void> {
  const pane = (await page.locator('[data-test=pipeline-graph]').boundingBox())!;
  const placed = async (id: string) => {
    const node = await page.locator(`[data-test=node-${id}]`).boundingBox();
    if (!node) return `${id}: not drawn`;
    const inside =
      node.x >= pane.x &&
      node.y >= pane.y &&
      node.x + node.width <= pane.x + pane.width &&
      node.y + node.height <= pane.y + pane.height;
    return inside && node.width >= 0.75 * NODE_SIZE.width ? 'legible' : JSON.stringify({ id, pane, node });
  };
  for (const id of ids) await expect.poll(() => placed(id)).toBe('legible');
  const labels = await page
    .locator('.vue-flow__edge-textwrapper')
    .evaluateAll((els) => els.map((el) => el.getBoundingClientRect().toJSON() as DOMRect));
  expect(labels).toHaveLength(2);
  const [a, b] = labels;
  const apart = a.bottom <= b.top || b.bottom <= a.top || a.right <= b.left || b.right <= a.left;
  expect(apart).toBe(true);
}

describe('pipeline editor in a real browser', () => {
  let before: { version: number; yaml: string };
  let published = 0;

  suite.step(
    'builds source → remap → route → two sinks as a draft, with the server’s problems shown',
    async () => {
      const { page, server } = suite;
      before = await pollConfig(0);
      await page.goto(`${server.baseUrl}/groups/${slug}`);
      await page.locator('[data-test=node-demo]').click();
      await add(page, 'transform', 'remap');
      // The editor closes brackets itself; an unknown function is what the server's check finds here.
      await typeProgram(page, '. = parse_jsn!(.message');
      await saved(page);
      await page.locator('[data-test=vrl-problems]').waitFor();
      expect(await page.locator('[data-test=vrl-problems]').textContent()).toMatch(
        /Line 1, column 5: .*parse_jsn/,
      );
      await page.locator('[data-test=draft-errors]').waitFor();
      await typeProgram(page, '. = parse_json!(.message');

      await add(page, 'transform', 'route');
      await page.getByLabel('route: key 1').fill('errors');
      await page.getByLabel('route: value 1').fill('.level == "error"');
      await add(page, 'sink', 'console');
      await saved(page);
      await page.locator('[data-test=node-console] [data-test=node-problems]').waitFor();
      await screenshot(page, 'pipeline-editor-problems');
      await choose(page, 'component-encoding-codec', 'json');

      await page.locator('[data-test=node-out]').click();
      await page.locator('[data-test=component-inputs]').click();
      await page.getByRole('option', { name: 'demo', exact: true }).click();
      await page.getByRole('option', { name: 'route._unmatched', exact: true }).click();
      await page.keyboard.press('Escape');
      await saved(page);
      await page.locator('[data-test=draft-valid]').waitFor();
      expect(await page.locator('[data-test=node-problems]').count()).toBe(0);
      await page.locator('[data-test=draft-banner]').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      // The side panel narrows the pane: the selected sink stays in view.
      await expectLegibleGraph(page, ['out']);
      await screenshot(page, 'pipeline-editor');
      await page.locator('.vue-flow__pane').click({ position: { x: 5, y: 5 } });
      await page.locator('[data-test=component-panel]').waitFor({ state: 'detached' });
      await expectLegibleGraph(page, ['demo', 'remap', 'route', 'console', 'out']);
      await screenshot(page, 'pipeline-graph');
    },
    120_000,
  );

  suite.step(
    'publishes with a message after showing the diff; the agent gets the new config',
    async () => {
      const { page } = suite;
      await page.click('[data-test=publish]');
      const dialog = page.locator('.p-dialog');
      await dialog.locator('[data-test=component-changes]').waitFor();
      expect(await dialog.locator('[data-test=component-changes]').textContent()).toContain('remap');
      await page.fill('#publish-message', 'Parse JSON and send errors to their own sink');
      await screenshot(page, 'pipeline-publish');
      await page.click('[data-test=confirm-publish]');
      published = before.version + 1;
      await page.locator('[data-test=config-version]', { hasText: `config v${published}` }).waitFor();
      const got = await pollConfig(before.version);
      expect(got.version).toBe(published);
      expect(got.yaml).toContain('parse_json!(.message)');
      expect(got.yaml).toContain('route._unmatched');
    },
    60_000,
  );

  suite.step(
    'shows the history with the diff, and rolls back to the old content as a new version',
    async () => {
      const { page, server } = suite;
      await page.click('[data-test=history-link]');
      await page.waitForURL(`${server.baseUrl}/groups/${slug}/history`);
      const row = page.locator('[data-test=version-row]', { hasText: 'Parse JSON and send errors' });
      expect(await row.textContent()).toContain('editor@example.com');
      await page.locator('[data-test=diff-view]').first().waitFor();
      expect(await page.locator('[data-test=component-changes]').textContent()).toContain('route');
      await screenshot(page, 'pipeline-history');

      await page.click(`[data-test=rollback-${before.version}]`);
      await page.locator('.p-dialog [data-test=component-changes]').waitFor();
      await page.click('[data-test=confirm-publish]');
      const rolledBack = published + 1;
      await page.locator('[data-test=version-row]', { hasText: `Roll back to v${before.version}` }).waitFor();
      const got = await pollConfig(published);
      expect(got.version).toBe(rolledBack);
      expect(got.yaml).toBe(before.yaml);
      expect(suite.browser.errors).toEqual([]);
    },
    60_000,
  );
});
