import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ensureTestImages } from '../support/images.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';
import { waitFor } from '../support/waitFor.ts';
import { launchBrowser, openPage, screenshot, type Watch } from './browser.ts';

/** The console's other pages in Chromium: workers, schedules, the overview, scopes, re-run, narrow and dark. */
describe('the web console pages', () => {
  let server: TestServer;
  let browser: Browser;
  let jobId: string;
  before(async () => {
    await ensureTestImages();
    server = await startTestServer();
    const worker = { name: 'hello', image: 'runlater-test/busybox', command: ['sh', '-c', 'echo hello'] };
    assert.equal((await server.api('POST', '/v1/workers', worker)).status, 201);
    const schedule = {
      name: 'nightly',
      worker: 'hello',
      expression: 'cron(0 3 * * ? *)',
      job: { env: { KEY: 'v' } },
    };
    assert.equal((await server.api('POST', '/v1/schedules', schedule)).status, 201);
    jobId = (await server.api('POST', '/v1/jobs', { worker: 'hello' })).body.id;
    await server.waitForFinal(jobId);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function signedIn(
    token = server.token,
    options: Parameters<typeof openPage>[1] = {},
  ): Promise<{ page: Page; watch: Watch }> {
    const { page, watch } = await openPage(browser, options);
    await page.goto(`${server.url}/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return { page, watch };
  }
  const nav = (page: Page, name: string) =>
    page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name }).click();

  it('shows the overview: finished per status by hour, queued and running now', async () => {
    const { page } = await signedIn();
    // The succeeded job counts in its hour's row: the first, or the second when the hour turned
    // between the job's end and the page's load.
    const succeededCells = page
      .getByRole('region', { name: 'Jobs finished per hour' })
      .locator('tbody tr')
      .locator('td:first-of-type');
    await succeededCells.filter({ hasText: /^1$/ }).first().waitFor();
    await page.getByText('queued now').waitFor();
    await screenshot(page, 'overview');
  });

  it('pages through the jobs list and filters it by worker', async () => {
    // Delayed jobs stay queued: 26 of them fill more than one page (25) without running anything.
    const delayed = { name: 'later', image: 'runlater-test/busybox', command: ['true'] };
    assert.equal((await server.api('POST', '/v1/workers', delayed)).status, 201);
    for (let i = 0; i < 26; i++)
      assert.equal(
        (await server.api('POST', '/v1/jobs', { worker: 'later', delaySeconds: 3600 })).status,
        202,
      );
    const { page } = await signedIn();
    await page.getByText('26 queued now').waitFor();
    await nav(page, 'Jobs');
    await page.getByLabel('Worker', { exact: true }).first().fill('later');
    const rows = page.locator('tr[data-job-id]');
    await page.getByText('Page 1').waitFor();
    await waitFor('a full first page', async () => (await rows.count()) === 25);
    const firstPage = await rows.first().getAttribute('data-job-id');
    await page.getByRole('button', { name: 'Older →' }).click();
    await page.getByText('Page 2').waitFor();
    await waitFor('the last job alone on page 2', async () => (await rows.count()) === 1);
    assert.notEqual(await rows.first().getAttribute('data-job-id'), firstPage);
    assert.equal(await page.getByRole('button', { name: 'Older →' }).isDisabled(), true);
    await page.getByRole('button', { name: '← Newer' }).click();
    await waitFor('page 1 again', async () => (await rows.first().getAttribute('data-job-id')) === firstPage);
    assert.equal(await page.locator(`tr[data-job-id="${jobId}"]`).count(), 0, 'only the worker asked for');
  });

  it('creates a worker and edits it with the form', async () => {
    const { page, watch } = await signedIn();
    await nav(page, 'Workers');
    await page.getByRole('link', { name: 'New worker' }).click();
    await page.getByLabel('Name', { exact: true }).fill('thumbnailer');
    await page.getByLabel('Image', { exact: true }).fill('runlater-test/busybox');
    await page.getByLabel(/^Command/).fill('sh\n-c\necho thumb');
    await page.getByLabel(/^Env/).fill('SIZE=128');
    await screenshot(page, 'worker-form');
    await page.getByRole('button', { name: 'Create worker' }).click();
    await page.getByRole('heading', { name: 'Worker thumbnailer' }).waitFor();
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Memory (MiB)').fill('1024');
    await page.getByLabel('Image', { exact: true }).fill('not a valid image!');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'image' }).waitFor(); // the API's message, field named
    await page.getByLabel('Image', { exact: true }).fill('runlater-test/busybox:latest');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Worker thumbnailer' }).waitFor();
    const saved = (await server.api('GET', '/v1/workers/thumbnailer')).body;
    assert.equal(saved.memory, 1024);
    assert.equal(saved.image, 'runlater-test/busybox:latest');
    assert.deepEqual(saved.command, ['sh', '-c', 'echo thumb']);
    assert.deepEqual(saved.env, { SIZE: '128' });
    await nav(page, 'Workers');
    await page.getByRole('link', { name: 'thumbnailer' }).waitFor();
    await screenshot(page, 'workers');
    assert.deepEqual(watch.violations, []);
  });

  it('pauses and resumes a schedule', async () => {
    const { page } = await signedIn();
    await nav(page, 'Schedules');
    await page.getByRole('button', { name: 'Pause nightly' }).click();
    await page.getByRole('button', { name: 'Resume nightly' }).waitFor();
    assert.equal((await server.api('GET', '/v1/schedules/nightly')).body.state, 'paused');
    await screenshot(page, 'schedules');
    await page.getByRole('button', { name: 'Resume nightly' }).click();
    await page.getByRole('button', { name: 'Pause nightly' }).waitFor();
    assert.equal((await server.api('GET', '/v1/schedules/nightly')).body.state, 'enabled');
  });

  it('tells a jobs-scope token what it may not see instead of failing', async () => {
    const created = await server.api('POST', '/v1/tokens', { name: 'ci', scopes: ['jobs'] });
    const { page, watch } = await signedIn(created.body.token);
    await page.getByText('This token has the jobs scope').waitFor();
    await page.goto(`${server.url}/#/jobs?worker=hello`); // the 26 delayed jobs fill page 1
    await page.locator(`tr[data-job-id="${jobId}"]`).waitFor();
    await nav(page, 'Workers');
    await page.getByText('This token may not see workers').waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, 'no error shown');
    assert.equal(await page.getByRole('link', { name: 'New worker' }).count(), 0);
    await screenshot(page, 'jobs-scope');
    assert.deepEqual(watch.errors, []);
  });

  it('offers re-run on a finished job, and opens the new job', async () => {
    const { page } = await signedIn();
    await page.goto(`${server.url}/#/jobs/${jobId}`);
    await page.locator('h1 .status', { hasText: 'succeeded' }).waitFor();
    await page.getByRole('button', { name: 'Re-run' }).click();
    await page.waitForURL((url) => url.hash.startsWith('#/jobs/') && !url.hash.endsWith(jobId));
    const rerunId = new URL(page.url()).hash.slice('#/jobs/'.length);
    assert.equal((await server.api('GET', `/v1/jobs/${rerunId}`)).body.rerunOf, jobId);
  });

  it('reads on a narrow screen and in dark mode', async () => {
    const { page } = await signedIn(server.token, { width: 390, colorScheme: 'dark' });
    await page.goto(`${server.url}/#/jobs/${jobId}`);
    await page.locator('.line .text', { hasText: 'hello' }).waitFor();
    const overflow = await page.evaluate(() => {
      const w = globalThis as any;
      return w.document.documentElement.scrollWidth - w.innerWidth;
    });
    assert.ok(overflow <= 0, `the page does not scroll sideways (${overflow}px too wide)`);
    const background = await page.evaluate(() => {
      const w = globalThis as any;
      return w.getComputedStyle(w.document.body).backgroundColor;
    });
    assert.equal(background, 'rgb(13, 17, 23)', 'the dark palette');
    await screenshot(page, 'job-narrow-dark');
    await page.goto(`${server.url}/#/jobs?worker=hello`);
    await page.locator(`tr[data-job-id="${jobId}"]`).waitFor();
    await screenshot(page, 'jobs-narrow-dark');
  });

  it("shows an array parent's children by state, and a child's parent", async () => {
    const parent = (await server.api('POST', '/v1/jobs', { worker: 'hello', array: { size: 2 } })).body.id;
    await server.waitForFinal(parent);
    const { page } = await signedIn();
    await page.goto(`${server.url}/#/jobs/${parent}`);
    await page.getByText('2: 2 succeeded').waitFor();
    await page.goto(`${server.url}/#/jobs/${parent}-1`);
    await page.getByText('(index 1)').waitFor();
    await page.getByRole('link', { name: parent }).waitFor();
  });
});
