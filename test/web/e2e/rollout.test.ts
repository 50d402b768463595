/**
 * A staged config rollout watched in Debian's chromium against a real server, with agents speaking
 * the REST protocol: publish the draft with a three-stage plan (the preview names who goes first),
 * the group page and the overview show the rollout in progress, its page shows the stages; the
 * stage-1 agent reports a config error for the new version, and the open page turns reverted live
 * with the reason, the failed count (a link to the failing agents) and the agent's own reason,
 * while no agent outside stage 1 was ever pinned to the version (the config route's per-agent
 * answer is another branch's; this file checks the pins it answers from); a confirmed retry gives
 * it the version again. axe-core finds no serious violation on the dialog and the page.
 * Screenshots: rollout-publish, rollout-group, rollout-running, rollout-halted.
 */
import { describe, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { browserSuite } from './suite.ts';
import { screenshot } from './browser.ts';
import {
  createGroupWithPipeline,
  enrolOverHttp,
  heartbeatBody,
  mintToken,
  postJson,
  waitFor,
  type EnrolledTestAgent,
} from '../../helpers/factories.ts';
import { CLI_ACTOR } from '../../../api/fleet/context.ts';
import { publishedDocument } from '../../../api/fleet/publish.ts';
import { draftRevision, updateDraft } from '../../../api/fleet/pipeline/draft.ts';
import { driveRollouts } from '../../../api/fleet/rollout/driver.ts';
import { paths } from '../../../api/protocol/v1.ts';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const ERROR = 'sink loki: HTTP 404 Not Found from http://loki:3100/loki/api/v1/push';

const agents: EnrolledTestAgent[] = [];
let groupId = '';
let slug = '';
let baseline = 0;
const suite = browserSuite({
  user: { email: 'editor@example.com', role: 'editor' },
  seed: async (server) => {
    const group = await createGroupWithPipeline(server.ctx, 'edge');
    groupId = group.id;
    slug = group.slug;
    baseline = group.configVersion;
    const token = await mintToken(server.ctx, group.id, 10);
    for (let i = 1; i <= 4; i += 1) {
      agents.push(await enrolOverHttp(server.baseUrl, token, { hostname: `edge-0${i}` }));
    }
    await Promise.all(agents.map((a) => heartbeat(server.baseUrl, a, baseline)));
    const { components } = await publishedDocument(server.ctx.db, group.id);
    const document = {
      components: components.map((c) =>
        c.id === 'demo' ? { ...c, options: { ...c.options, count: 7 } } : c,
      ),
    };
    const { revision } = await draftRevision(server.ctx.db, group.id);
    await updateDraft(server.ctx, CLI_ACTOR, { groupId: group.id, revision, document });
  },
});

/** One heartbeat over REST: running `applied`, or failing version `failing` with ERROR. */
async function heartbeat(baseUrl: string, agent: EnrolledTestAgent, applied: number, failing?: number) {
  const body = heartbeatBody({
    appliedConfigVersion: applied,
    ...(failing ? { configError: { version: failing, message: ERROR } } : {}),
  });
  const res = await postJson(baseUrl + paths.heartbeat(agent.agentId), body, agent.agentToken);
  expect(res.status).toBe(200);
}

/** The agents of the group pinned to `version` (what the config route answers them). */
async function pinnedTo(version: number): Promise<string[]> {
  const pins = await suite.server.ctx.db.agentConfigPin.findMany({ where: { groupId, version } });
  return pins.map((p) => p.agentId);
}

/** axe-core's serious and critical violations on the page as it is, summarised. */
async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const violations = (await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(c: unknown): Promise<{ violations: unknown[] }> } }).axe;
    return (await axe.run(document)).violations;
  })) as { id: string; impact: string | null; nodes: { target: string[] }[] }[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe('a staged rollout in a real browser', () => {
  let rolloutId = '';
  let version = 0;
  let stage1: string[] = [];

  suite.step(
    'publishes the draft with a three-stage plan after the preview, and shows the rollout running',
    async () => {
      const { page, server } = suite;
      await page.goto(`${server.baseUrl}/groups/${slug}`);
      await page.click('[data-test=publish]');
      const dialog = page.locator('.p-dialog');
      await dialog.locator('[data-test=component-changes]').waitFor();
      await page.fill('#publish-message', 'Send to Loki');
      await dialog.locator('[data-test=publish-mode]').getByText('Staged', { exact: true }).click();
      const preview = dialog.locator('[data-test=preview-stage-1]');
      await preview.waitFor();
      expect(await preview.textContent()).toMatch(/Stage 1: 1 agent(?!s)/);
      expect(await dialog.locator('[data-test=preview-stage-3]').textContent()).toMatch(/Stage 3: 2 agents/);
      // The gates start at the server's defaults (rolloutPlanDefaults).
      expect(await page.inputValue('#gate-applyFailedRatio')).toBe('5 %');
      await screenshot(page, 'rollout-publish');
      expect(await seriousViolations(page)).toEqual([]);
      await page.click('[data-test=confirm-publish]');

      const active = page.locator('#active-rollout [data-test=rollout-link]');
      await active.waitFor();
      await expect.poll(() => active.isVisible()).toBe(true);
      await screenshot(page, 'rollout-group');
      const rollout = await server.ctx.db.rollout.findFirstOrThrow({
        where: { groupId, kind: 'config' },
        orderBy: { createdAt: 'desc' },
      });
      rolloutId = rollout.id;
      version = rollout.version!;
      expect(rollout.state).toBe('running');
      stage1 = (await server.ctx.db.rolloutAgent.findMany({ where: { rolloutId, stage: 0 } })).map(
        (a) => a.agentId,
      );
      expect(stage1).toHaveLength(1);

      await page.goto(`${server.baseUrl}/`);
      await page.locator(`[data-test=active-rollouts] a[href="/rollouts/${rolloutId}"]`).click();
      await page.waitForURL(`${server.baseUrl}/rollouts/${rolloutId}`);
      await page.locator('[data-test=rollout-state]', { hasText: 'Running' }).waitFor();
      expect(await page.locator('[data-test=rollout-stages] > li').count()).toBe(3);
      expect(await page.locator('[data-test=stage-1] [data-test=count-reached]').textContent()).toBe('1');
      await page.locator('[data-test=rollout-agent-row]').first().waitFor();
      expect(await page.locator('[data-test=rollout-pause]').isVisible()).toBe(true);
      expect(await page.locator('[data-test=rollout-abort]').isVisible()).toBe(true);
      await screenshot(page, 'rollout-running');
      expect(await seriousViolations(page)).toEqual([]);
    },
    120_000,
  );

  suite.step(
    'turns reverted live when the stage-1 agent fails the version, with the reason; nobody else got it',
    async () => {
      const { page, server } = suite;
      const failing = agents.find((a) => a.agentId === stage1[0])!;
      const others = agents.filter((a) => a !== failing);
      expect(await pinnedTo(version)).toEqual([failing.agentId]);

      await heartbeat(server.baseUrl, failing, baseline, version);
      await Promise.all(others.map((a) => heartbeat(server.baseUrl, a, baseline)));
      await waitFor(async () => {
        const a = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: failing.agentId } });
        return a.configErrorVersion === version;
      });
      await driveRollouts(server.ctx);

      await page.locator('[data-test=rollout-state]', { hasText: /Reverted|Halted/ }).waitFor();
      const reason = page.locator('[data-test=rollout-reason]');
      await reason.waitFor();
      expect(await reason.textContent()).toMatch(/apply_failed.*stage 1.*edge-0\d/);
      await page.locator('[data-test=gate-apply_failed] >> text=Breached').waitFor();
      const failedLink = page.locator('[data-test=rollout-failed-link]');
      await failedLink.waitFor();
      // "1 failed" links to this page's agent table, filtered to the stage's failed agents.
      expect(await failedLink.getAttribute('href')).toContain('?stage=1&agents=failed');
      await failedLink.click();
      await expect
        .poll(() => page.locator('[data-test=rollout-agent-row]').count(), { timeout: 10_000 })
        .toBe(1);
      await expect
        .poll(() => page.locator('[data-test=rollout-agent-row]').first().textContent(), { timeout: 10_000 })
        .toContain(ERROR);
      await page.locator('[data-test=rollout-retry]').waitFor();
      await screenshot(page, 'rollout-halted');
      expect(await seriousViolations(page)).toEqual([]);

      expect(await pinnedTo(version)).toEqual([]);
      expect(await pinnedTo(baseline)).toEqual([failing.agentId]);

      // The host is fixed (the agent reports no error any more); a confirmed retry gives it the
      // version again and the page says running.
      await heartbeat(server.baseUrl, failing, baseline);
      await waitFor(async () => {
        const a = await server.ctx.db.agent.findUniqueOrThrow({ where: { id: failing.agentId } });
        return a.configErrorVersion === null;
      });
      await page.click('[data-test=rollout-retry]');
      await page.locator('.p-confirmdialog').getByRole('button', { name: 'Retry failed' }).click();
      await page.locator('[data-test=rollout-state]', { hasText: 'Running' }).waitFor();
      expect(await pinnedTo(version)).toEqual([failing.agentId]);
      expect(suite.browser.errors).toEqual([]);
    },
    60_000,
  );
});
