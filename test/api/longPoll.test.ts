import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureTestImages } from '../support/images.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';

/** `GET /v1/jobs/{id}?waitSeconds=N` on one machine: real Docker, dynalite, the dev server's watcher. */
describe('GET /v1/jobs/{id}?waitSeconds=N (long-poll)', () => {
  let server: TestServer;
  before(async () => {
    await ensureTestImages();
    server = await startTestServer();
    const worker = {
      name: 'nap',
      image: 'runlater-test/busybox',
      command: ['sh', '-c', 'sleep 1; echo done'],
    };
    assert.equal((await server.api('POST', '/v1/workers', worker)).status, 201);
  });
  after(() => server.stop());

  async function submit(body: Record<string, unknown> = {}): Promise<string> {
    const res = await server.api('POST', '/v1/jobs', { worker: 'nap', ...body });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.id;
  }

  it('answers with the final job once it ends, within the wait', async () => {
    const id = await submit();
    const asked = Date.now();
    const res = await server.api('GET', `/v1/jobs/${id}?waitSeconds=20`);
    const answered = Date.now();
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'succeeded', JSON.stringify(res.body));
    // It was asked while the job ran (the job ended after the question), and answered before the
    // wait ran out: it answered because the job ended.
    assert.ok(Date.parse(res.body.finishedAt) >= asked - 1000, `${res.body.finishedAt} vs ${asked}`);
    assert.ok(answered - asked < 20_000, `answered after ${answered - asked} ms`);
  });

  it('answers at once with a job that is already final', async () => {
    const id = await submit();
    const final = await server.waitForFinal(id);
    const asked = Date.now();
    const res = await server.api('GET', `/v1/jobs/${id}?waitSeconds=20`);
    assert.deepEqual(res.body, final);
    assert.ok(Date.now() - asked < 20_000);
  });

  it('answers with the job as it is once the wait runs out', async () => {
    const id = await submit({ delaySeconds: 3600 });
    const asked = Date.now();
    const res = await server.api('GET', `/v1/jobs/${id}?waitSeconds=1`);
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'queued');
    assert.ok(Date.now() - asked >= 990, 'it waited the second asked for');
    // waitSeconds=0 (the default) answers at once.
    assert.equal((await server.api('GET', `/v1/jobs/${id}?waitSeconds=0`)).body.status, 'queued');
  });

  it('is 404 for an unknown job', async () => {
    const res = await server.api('GET', '/v1/jobs/01kb2x7d3q9m4v8e6r5t0y1z2w?waitSeconds=5');
    assert.equal(res.status, 404);
  });

  for (const bad of ['21', '-1', '1.5', 'soon']) {
    it(`refuses waitSeconds=${bad} with a 400 naming waitSeconds`, async () => {
      const id = await submit({ delaySeconds: 3600 });
      const res = await server.api('GET', `/v1/jobs/${id}?waitSeconds=${bad}`);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'invalid_request');
      assert.equal(res.body.error.field, 'waitSeconds');
      assert.match(res.body.error.message, /waitSeconds/);
    });
  }

  it('refuses an unknown query parameter, naming it', async () => {
    const id = await submit({ delaySeconds: 3600 });
    const res = await server.api('GET', `/v1/jobs/${id}?wait=5`);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.field, 'wait');
  });
});
