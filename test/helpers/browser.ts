// Debian's Chromium driven by playwright-core, headless, for the diagnostics page's tests: one browser
// per test file, closed at its end; every page records its console errors, failed requests and
// uncaught exceptions so a test can say the page ran clean; screenshots go to artifacts/browser/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { TestContext } from './tap-types.js';

export const artifacts = join(import.meta.dirname, '..', '..', 'artifacts', 'browser');

export interface TestPage {
  page: Page;
  /** Console errors, page errors and failed requests, as they came. */
  problems: string[];
  /** Saves a full-page screenshot as artifacts/browser/NAME.png. */
  shot(name: string): Promise<void>;
}

export async function startBrowser(t: TestContext): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  t.teardown(() => browser.close());
  mkdirSync(artifacts, { recursive: true });
  return browser;
}

/** A page in a context of its own (its own cookies), phone-sized when asked. */
export async function openPage(browser: Browser, phone = false): Promise<TestPage> {
  const context = await browser.newContext(
    phone
      ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
      : { viewport: { width: 1280, height: 800 } },
  );
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  return {
    page,
    problems,
    shot: async (name) => {
      await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
    },
  };
}

/** Signs in through the login form; resolves once the page's live feed is up. */
export async function signIn(page: Page, base: string, name: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill('input[name="name"]', name);
  await page.fill('input[name="password"]', password);
  await page.click('button[type="submit"]');
  await page.waitForSelector('#connection.good', { timeout: 10_000 });
}
