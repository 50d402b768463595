/**
 * A real browser for the dashboard end-to-end tests: Debian's chromium as its headless shell
 * (package chromium-headless-shell: the same engine without the desktop browser's UI process, and
 * what Playwright runs for headless by default), the GPU thread in the browser process, driven by
 * playwright-core and kept off the network. One chromium per test worker (the unit project keeps
 * modules from file to file), and a fresh browser context per session: its own cookies, storage
 * and cache, as a fresh profile had, without a chromium start (measured ~1.1 s CPU) per file.
 * Collects console errors and saves screenshots under test/.screenshots/ (git-ignored) for reviewers.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium-headless-shell';
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
  '--in-process-gpu',
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
      `Chromium's headless shell is not installed at ${CHROMIUM}; the dashboard e2e tests need it. ` +
        'Install it with `apt-get update && apt-get install -y chromium-headless-shell` (.ci/run does this on CI).',
    );
  }
}

let dashboardBuilt = false;

/**
 * Build web/dist when it is missing or stale (codegen + vite build); throws when the build fails.
 * Checked once per test worker: the sources do not change during a run.
 */
export function buildDashboard(): void {
  if (dashboardBuilt) return;
  execFileSync(process.execPath, [path.join(ROOT, 'web/build-if-stale.mjs')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  dashboardBuilt = true;
}

let shared: Promise<Browser> | undefined;

/**
 * This worker's chromium, started on first use and again if it went away. Playwright kills it when
 * the worker process exits.
 */
function sharedBrowser(): Promise<Browser> {
  if (!shared) {
    const starting = chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    shared = starting;
    starting.then(
      (browser) => browser.on('disconnected', () => shared === starting && (shared = undefined)),
      () => shared === starting && (shared = undefined),
    );
  }
  return shared;
}

/** A fresh browser context (no cookies or storage) with one 1280×800 page. Rejects when chromium cannot start. */
export async function openBrowser(): Promise<BrowserSession> {
  requireChromium();
  const context = await (await sharedBrowser()).newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return { context, page, errors, close: () => context.close() };
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

/**
 * Wait until the open dialog has taken the focus for good: PrimeVue focuses its first field when the
 * opening transition ends (its focus trap may focus it earlier, on mount), so keys typed into another
 * field before the end can be moved into the first one. Vue removes the `p-dialog-enter-*` classes and
 * runs the after-enter focus in one task: once none is left and the focus is inside, it stays there.
 */
export async function dialogFocused(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      document.activeElement?.closest('.p-dialog') != null &&
      document.querySelector('.p-dialog-enter-active, .p-dialog-enter-from, .p-dialog-enter-to') == null,
  );
}
