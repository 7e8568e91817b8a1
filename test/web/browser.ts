import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium, headless, driven by playwright-core (which downloads no browser of its own).
 * Playwright gives each launch a new, empty profile. The flags keep Chromium off the network: this
 * machine has none, and without them Chromium keeps trying Google's hosts.
 */
export const CHROMIUM = process.env.RUNLATER_CHROMIUM ?? '/usr/bin/chromium';
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

const ROOT = join(import.meta.dirname, '..', '..');
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'web');

/** `npm test` builds the console first; a run of these files alone builds it here if it is out of date. */
export async function launchBrowser(): Promise<Browser> {
  await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs'), '--if-stale']);
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 60_000 });
}

/** What a page did that it must not: dialogs opened (a script ran), CSP violations, page errors. */
export interface Watch {
  dialogs: string[];
  violations: string[];
  errors: string[];
}

/**
 * A page in its own context (its own sessionStorage), watched for dialogs, CSP violations (both the
 * DOM event and Chromium's console report) and uncaught errors.
 */
export async function openPage(
  browser: Browser,
  options: { colorScheme?: 'light' | 'dark'; width?: number } = {},
): Promise<{ context: BrowserContext; page: Page; watch: Watch }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: 860 },
    colorScheme: options.colorScheme ?? 'light',
  });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  const watch: Watch = { dialogs: [], violations: [], errors: [] };
  page.on('dialog', (d) => {
    watch.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) watch.violations.push(m.text());
  });
  page.on('pageerror', (e) => watch.errors.push(e.message));
  await page.exposeFunction('__reportViolation', (v: string) => watch.violations.push(v));
  // Runs in the page (the test's tsconfig has no DOM types, hence globalThis).
  await page.addInitScript(() => {
    const w = globalThis as any;
    w.document.addEventListener('securitypolicyviolation', (e: any) =>
      w.__reportViolation(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  return { context, page, watch };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
