/**
 * A real browser for the dashboard end-to-end tests: Debian's chromium driven by playwright-core,
 * headless and kept off the network, one fresh profile per session. Collects console errors and
 * saves screenshots under test/.screenshots/ (git-ignored) for reviewers.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../.screenshots');
const ROOT = path.resolve(import.meta.dirname, '../../..');

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
  close(): Promise<void>;
}

/** Throws (so the tests fail, not skip) when chromium is missing, saying how to install it. */
export function requireChromium(): void {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}; the dashboard e2e tests need it. ` +
        'Install it with `apt-get update && apt-get install -y chromium` (.ci/run does this on CI).',
    );
  }
}

/** Build web/dist when it is missing or stale (codegen + vite build); throws when the build fails. */
export function buildDashboard(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'web/build-if-stale.mjs')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

/** Start chromium with a fresh profile and one 1280×800 page. Rejects when it cannot start. */
export async function openBrowser(): Promise<BrowserSession> {
  requireChromium();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Save the page as test/.screenshots/<name>.png once closing dialogs are gone (animations finished). */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.locator('.p-overlay-mask-leave-active').waitFor({ state: 'detached' });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), animations: 'disabled' });
}

/** Pick `option` in the PrimeVue Select whose focusable element has id `inputId`. */
export async function choose(page: Page, inputId: string, option: string): Promise<void> {
  await page.locator(`#${inputId}`).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}
