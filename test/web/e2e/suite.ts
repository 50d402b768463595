/**
 * The set-up every dashboard browser file shares: chromium present (else every step fails saying how
 * to install it), the dashboard built, a real server on port 0 with a signed-in user, what the file
 * seeds, one browser page; all closed after the file. Steps fail (never skip) with the set-up's reason.
 */
import { afterAll, beforeAll, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../helpers/app.ts';
import { CLI_ACTOR } from '../../../api/fleet/context.ts';
import { createUser } from '../../../api/fleet/users.ts';
import type { Role } from '../../../api/generated/prisma/client.ts';
import { buildDashboard, openBrowser, requireChromium, type BrowserSession } from './browser.ts';

export const PASSWORD = 'correct-horse-battery-staple';

export interface BrowserSuite {
  server: TestServer;
  browser: BrowserSession;
  page: Page;
  /** A test that fails with the set-up's reason (e.g. chromium missing) instead of running. */
  step(name: string, body: () => Promise<void>, timeoutMs?: number): void;
}

export interface BrowserSuiteOptions {
  user: { email: string; role: Role };
  /** Seed the fleet before the browser opens. */
  seed?: (server: TestServer) => Promise<void>;
  /** Sign in right away (the page is then at the overview); false leaves the page blank. */
  signIn?: boolean;
  /** Time the set-up may take (seeding large fleets). */
  setupTimeoutMs?: number;
}

/** Register the file's beforeAll/afterAll; the returned object is filled once the set-up has run. */
export function browserSuite(options: BrowserSuiteOptions): BrowserSuite {
  let setupError: unknown = null;
  const suite = {
    step(name: string, body: () => Promise<void>, timeoutMs?: number) {
      it(
        name,
        async () => {
          if (setupError) throw setupError;
          await body();
        },
        timeoutMs,
      );
    },
  } as BrowserSuite;

  beforeAll(async () => {
    try {
      requireChromium();
    } catch (error) {
      setupError = error;
      return;
    }
    buildDashboard();
    suite.server = await startTestServer();
    await createUser(suite.server.ctx, CLI_ACTOR, { ...options.user, password: PASSWORD });
    await options.seed?.(suite.server);
    suite.browser = await openBrowser();
    suite.page = suite.browser.page;
    if (options.signIn !== false) await signIn(suite.page, suite.server.baseUrl, options.user.email);
  }, options.setupTimeoutMs ?? 240_000);

  afterAll(async () => {
    await suite.browser?.close();
    await suite.server?.close();
  });
  return suite;
}

/** Sign in through the login form; `next` is the page to land on (default: the overview). */
export async function signIn(page: Page, baseUrl: string, email: string, next?: string): Promise<void> {
  await page.goto(`${baseUrl}/login${next ? `?next=${next}` : ''}`);
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await page.click('[data-test=sign-in]');
  if (!next) await page.waitForURL(`${baseUrl}/`);
}
