/**
 * The fleet settings panel of the Settings page in Debian's chromium against a real server: an admin
 * changes the heartbeat interval and the offline threshold, saves, and sees the toast and the new
 * values (the server's snapshot has them too); an offline threshold under two heartbeats shows the
 * server's field error under that field and changes nothing; a viewer sees the values read-only.
 * Screenshots: fleet-settings-saved, fleet-settings-error, fleet-settings-viewer.
 */
import { describe, expect } from 'vitest';
import type { Page } from 'playwright-core';
import { PASSWORD, browserSuite, signIn } from './suite.ts';
import { dialogFocused, openBrowser, screenshot } from './browser.ts';
import { CLI_ACTOR } from '../../../api/fleet/context.ts';
import { fleetSettings } from '../../../api/fleet/settings.ts';
import { createUser } from '../../../api/fleet/users.ts';

const VIEWER = 'viewer@example.com';
const suite = browserSuite({
  user: { email: 'admin@example.com', role: 'admin' },
  seed: async (server) => {
    await createUser(server.ctx, CLI_ACTOR, { email: VIEWER, role: 'viewer', password: PASSWORD });
  },
});

const row = (page: Page, key: string) => page.locator(`[data-test=setting-${key}]`);

/** Type `value` into the dialog's number field for `key` (replacing what is there). */
async function enter(page: Page, key: string, value: number): Promise<void> {
  const input = page.locator(`#setting-${key}`);
  // Under load a clear can be lost and the digits appended (then clamped to the maximum): type
  // again over a selection until the field holds exactly the value.
  await expect
    .poll(
      async () => {
        await input.selectText();
        await input.press('Backspace');
        await input.pressSequentially(String(value));
        return input.inputValue();
      },
      { timeout: 10_000 },
    )
    .toBe(String(value));
  await input.blur();
}

describe('fleet settings panel', () => {
  suite.step(
    'an admin changes the heartbeat interval and offline threshold and sees them saved',
    async () => {
      const { page, server } = suite;
      await page.goto(`${server.baseUrl}/settings`);
      await expect.poll(() => row(page, 'offlineAfterSeconds').textContent()).toContain('default');
      await page.locator('[data-test=fleet-settings]').getByRole('button', { name: 'Edit' }).click();
      await dialogFocused(page);
      await enter(page, 'heartbeatIntervalSeconds', 60);
      await enter(page, 'offlineAfterSeconds', 600);
      await page.click('[data-test=save-fleet-settings]');
      // Saved (the toast), or what the dialog says instead (the failure's message names it).
      const dialog = page.locator('.p-dialog');
      await expect
        .poll(
          async () =>
            (await page.getByText('Fleet settings saved').count()) > 0
              ? 'saved'
              : `the dialog shows: ${await dialog.textContent({ timeout: 1000 }).catch(() => '(gone)')}`,
          { timeout: 15_000 },
        )
        .toBe('saved');
      await dialog.waitFor({ state: 'detached' });
      await expect
        .poll(() => row(page, 'heartbeatIntervalSeconds').textContent())
        .toMatch(/60 seconds\s*set/);
      expect(await row(page, 'offlineAfterSeconds').textContent()).toMatch(
        /600 seconds\s*set \(default 300 seconds\)/,
      );
      expect(await page.locator('[data-test=fleet-settings]').textContent()).toContain(
        'Changed by admin@example.com',
      );
      const stored = fleetSettings(server.ctx).stored;
      expect(stored).toMatchObject({ heartbeatIntervalSeconds: 60, offlineAfterSeconds: 600 });
      await screenshot(page, 'fleet-settings-saved');
    },
  );

  suite.step(
    'an offline threshold under two heartbeats shows a field error and changes nothing',
    async () => {
      const { page, server } = suite;
      await page.locator('[data-test=fleet-settings]').getByRole('button', { name: 'Edit' }).click();
      await dialogFocused(page);
      await enter(page, 'offlineAfterSeconds', 90);
      await page.click('[data-test=save-fleet-settings]');
      const dialog = page.locator('.p-dialog');
      const error = dialog.locator('small.error');
      await error.waitFor();
      expect(await error.textContent()).toContain('must be at least 2 heartbeat intervals (120 s');
      expect(await error.count()).toBe(1);
      // Said once, under its field: the dialog's banner does not repeat a field's error.
      await expect.poll(() => dialog.getByText('must be at least 2 heartbeat intervals').count()).toBe(1);
      await expect
        .poll(() => dialog.locator('#setting-offlineAfterSeconds').getAttribute('aria-invalid'))
        .toBe('true');
      await screenshot(page, 'fleet-settings-error');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(fleetSettings(server.ctx).stored.offlineAfterSeconds).toBe(600);
      await page.reload();
      await expect.poll(() => row(page, 'offlineAfterSeconds').textContent()).toContain('600 seconds');
      expect(suite.browser.errors).toEqual([]);
    },
  );

  suite.step('a viewer sees the values read-only', async () => {
    const viewer = await openBrowser();
    try {
      await signIn(viewer.page, suite.server.baseUrl, VIEWER);
      await viewer.page.goto(`${suite.server.baseUrl}/settings`);
      await expect
        .poll(() => row(viewer.page, 'heartbeatIntervalSeconds').textContent())
        .toContain('60 seconds');
      expect(await row(viewer.page, 'offlineAfterSeconds').textContent()).toContain('600 seconds');
      const panel = viewer.page.locator('[data-test=fleet-settings]');
      expect(await panel.getByRole('button', { name: 'Edit' }).count()).toBe(0);
      await screenshot(viewer.page, 'fleet-settings-viewer');
      expect(viewer.errors).toEqual([]);
    } finally {
      await viewer.close();
    }
  });
});
