import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ensureTestImages } from '../support/images.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';
import { waitFor } from '../support/waitFor.ts';
import { launchBrowser, openPage, screenshot, type Watch } from './browser.ts';

/**
 * The web console in Debian's Chromium against a dev server with real Docker: what a user sees and
 * does, from signing in to following a job's output and cancelling one. Each job's stdin is the
 * shell script it runs (worker `sh`).
 */
describe('the web console in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let watch: Watch;
  before(async () => {
    await ensureTestImages();
    server = await startTestServer();
    const worker = { name: 'sh', image: 'runlater-test/busybox', command: ['sh'] };
    assert.equal((await server.api('POST', '/v1/workers', worker)).status, 201);
    browser = await launchBrowser();
    ({ page, watch } = await openPage(browser));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function queue(script: string, env?: Record<string, string>): Promise<string> {
    const res = await server.api('POST', '/v1/jobs', {
      worker: 'sh',
      stdin: script,
      ...(env ? { env } : {}),
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.id;
  }
  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name });
  const jobStatus = () => page.locator('h1 .status');
  const streamText = (stream: 'stdout' | 'stderr') =>
    page.locator(`.line[data-stream="${stream}"] .text`).allTextContents();

  it('serves the page with a strict CSP, nosniff and no framing', async () => {
    const res = await page.goto(`${server.url}/`);
    assert.equal(res?.status(), 200);
    const headers = res!.headers();
    const csp = headers['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    // The API around it is unchanged: without a token, /v1 is still a 401.
    assert.equal((await server.api('GET', '/v1/jobs', undefined, { token: null })).status, 401);
  });

  it('blocks an inline script on the page, and the watch used below sees such a violation', async () => {
    const probe = await openPage(browser);
    await probe.page.goto(`${server.url}/`);
    await probe.page.evaluate(() => {
      const d = (globalThis as any).document;
      const script = d.createElement('script');
      script.textContent = 'globalThis.inlineRan = true';
      d.head.append(script);
    });
    await waitFor('the CSP report', () => probe.watch.violations.length > 0);
    assert.equal(await probe.page.evaluate(() => (globalThis as any).inlineRan), undefined);
    await probe.context.close();
  });

  it('refuses a wrong token, then signs in by keyboard and keeps the token out of the URL', async () => {
    await page.getByLabel('API token').fill('not-a-token');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'not accepted' }).waitFor();
    await screenshot(page, 'sign-in');
    await page.getByLabel('API token').fill(server.token);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    assert.ok(!page.url().includes(server.token));
    const stored = await page.evaluate(() => [sessionStorage.getItem('runlater.token'), localStorage.length]);
    assert.deepEqual(stored, [server.token, 0], 'in sessionStorage only');
  });

  it('queues a job from the page and watches it succeed, without reloading, stdout and stderr apart', async () => {
    await nav('Jobs').click();
    await page.evaluate(() => ((globalThis as any).marker = 1));
    await page.getByText('Queue a job').click();
    await page.getByLabel('Worker', { exact: true }).last().fill('sh');
    await page.getByLabel('Stdin').fill('echo out-line\necho err-line >&2\nsleep 1\necho done\n');
    await page.getByLabel('Env (one NAME=value a line)').fill('SECRET_TOKEN=hunter2');
    await page.getByRole('button', { name: 'Queue', exact: true }).click();
    await jobStatus()
      .filter({ hasText: /^(queued|starting|running)$/ })
      .waitFor();
    await jobStatus().filter({ hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
    await page.locator('.line .text', { hasText: 'done' }).waitFor();
    assert.deepEqual(await streamText('stdout'), ['out-line', 'done']);
    assert.deepEqual(await streamText('stderr'), ['err-line']);
    assert.equal(await page.evaluate(() => (globalThis as any).marker), 1, 'no reload');
    // The env shows its names, never its values.
    await page.getByText('SECRET_TOKEN').waitFor();
    assert.equal(await page.getByText('hunter2').count(), 0);
    await screenshot(page, 'job');
  });

  it('shows new jobs and their status changes in the list as they happen', async () => {
    await nav('Jobs').click();
    await page.locator('tr[data-job-id]').first().waitFor();
    const id = await queue('sleep 1; echo listed\n');
    const row = page.locator(`tr[data-job-id="${id}"]`);
    await row.waitFor();
    await row.locator('.status', { hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
    assert.equal((await row.locator('td').nth(6).textContent())?.trim(), '0', 'exit code');
    // The status filter narrows the live list.
    await page.getByLabel('Status').selectOption('failed');
    await waitFor(
      'the filtered list',
      async () => (await page.locator(`tr[data-job-id="${id}"]`).count()) === 0,
    );
    await page.getByLabel('Status').selectOption('');
    await row.waitFor();
    await screenshot(page, 'jobs');
  });

  it('cancels a running job from its page', async () => {
    // The trap lets sh end at once on SIGTERM instead of after its sleep.
    const id = await queue('echo started\ntrap "exit 143" TERM\nsleep 300 &\nwait\n');
    await page.goto(`${server.url}/#/jobs/${id}`);
    await jobStatus().filter({ hasText: 'running' }).waitFor({ timeout: 60_000 });
    await page.locator('.line .text', { hasText: 'started' }).waitFor();
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await jobStatus().filter({ hasText: 'cancelled' }).waitFor({ timeout: 60_000 });
    assert.equal(await page.getByRole('button', { name: 'Cancel job' }).count(), 0);
  });

  it('shows markup in output as text: no element made, no script run, no CSP violation', async () => {
    const id = await queue(
      [
        "echo '<img src=x onerror=alert(1)>'",
        "echo '<script>alert(2)</script>' >&2",
        "printf 'bytes \\377\\376 <b>bold</b>\\n'",
        '',
      ].join('\n'),
    );
    await page.goto(`${server.url}/#/jobs/${id}`);
    await jobStatus().filter({ hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
    await page.locator('.line[data-stream="stderr"]').waitFor();
    assert.deepEqual(await streamText('stdout'), [
      '<img src=x onerror=alert(1)>',
      'bytes \ufffd\ufffd <b>bold</b>',
    ]);
    assert.deepEqual(await streamText('stderr'), ['<script>alert(2)</script>']);
    assert.equal(await page.locator('.log img, .log script, .log b').count(), 0);
    assert.equal(await page.locator('.line .bin').count(), 1, 'the line that is not UTF-8 is marked');
    await screenshot(page, 'job-markup');
    assert.deepEqual(watch.dialogs, [], 'no script ran');
    assert.deepEqual(watch.violations, [], 'no CSP violation');
    assert.deepEqual(watch.errors, [], 'no page error');
  });

  it('keeps a long output light while following, and reads older lines again on scrolling up', async () => {
    const id = await queue('seq 1 5000\n');
    await page.goto(`${server.url}/#/jobs/${id}`);
    await page.locator('.line .text', { hasText: /^5000$/ }).waitFor({ timeout: 60_000 });
    const lines = page.locator('.log .line .text');
    assert.ok((await lines.count()) <= 3000, 'older lines were dropped from the page');
    assert.notEqual(await lines.first().textContent(), '1');
    // Scrolling to the top stops following and brings back the lines before.
    const before = await lines.count();
    await page.locator('.log').evaluate((el: any) => (el.scrollTop = 0));
    await waitFor('older lines', async () => (await lines.count()) > before);
    assert.equal(await page.getByLabel('Follow').isChecked(), false);
    // The button does the same by keyboard, down to the first line.
    for (let i = 0; i < 10 && (await lines.first().textContent()) !== '1'; i++) {
      const count = await lines.count();
      await page.getByRole('button', { name: 'Load older lines' }).press('Enter');
      await waitFor('a chunk of older lines', async () => (await lines.count()) > count);
    }
    assert.equal(await lines.first().textContent(), '1');
    assert.equal(await page.getByRole('button', { name: 'Load older lines' }).count(), 0);
  });

  it('signs out: the token is gone from the tab', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('runlater.token')), null);
  });
});
