/**
 * GraphiQL in Debian's chromium, kept off the network: the page renders its editor from this
 * server's own files under the page's Content-Security-Policy (a violation is a console error),
 * and every request it makes stays on this origin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/app.ts';
import { openBrowser, requireChromium, screenshot, type BrowserSession } from './browser.ts';

let server: TestServer;
let browser: BrowserSession;
beforeAll(async () => {
  requireChromium();
  server = await startTestServer();
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('GraphiQL in a browser', () => {
  it('renders its editors from same-origin files only, with no CSP violation', async () => {
    const requests: string[] = [];
    browser.page.on('request', (request) => requests.push(request.url()));
    await browser.page.goto(`${server.baseUrl}/graphql`);
    await browser.page.locator('.graphiql-container').first().waitFor();
    await browser.page.locator('.monaco-editor').first().waitFor();
    await screenshot(browser.page, 'graphiql');
    expect(browser.errors).toEqual([]);
    const foreign = requests.filter(
      (url) => !url.startsWith(server.baseUrl) && !url.startsWith('data:') && !url.startsWith('blob:'),
    );
    expect(foreign).toEqual([]);
    expect(requests.some((url) => url.includes('/graphql/graphiql/'))).toBe(true);
  });
});
