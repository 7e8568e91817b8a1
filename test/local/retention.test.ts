import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { outputDirFor } from '../../lambdas/adapters/local/outputFormat.ts';
import { ensureTestImages } from '../support/images.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';
import { waitFor } from '../support/waitFor.ts';

describe('retention on one machine', () => {
  let server: TestServer;
  before(async () => {
    await ensureTestImages();
    // This file runs in a process of its own: a retention of two seconds and a reconciler every second.
    process.env.RUNLATER_RETENTION_DAYS = String(2 / 86400);
    process.env.RUNLATER_RECONCILE_SECONDS = '1';
    server = await startTestServer();
    await server.api('POST', '/v1/workers', {
      name: 'echo',
      image: 'runlater-test/busybox',
      command: ['cat'],
    });
  });
  after(() => server.stop());

  it('deletes a finished job, its output and its stdin once it expires', async () => {
    const res = await server.api('POST', '/v1/jobs', {
      worker: 'echo',
      stdinBase64: Buffer.alloc(10_000, 65).toString('base64'),
    });
    const job = await server.waitForFinal(res.body.id);
    assert.equal(job.status, 'succeeded');
    const logFile = outputDirFor(server.dataDir, job.attempts[0]!.taskId!);
    await access(logFile);
    await waitFor(
      'the job to expire',
      async () => ((await server.api('GET', `/v1/jobs/${job.id}`)).status === 404 ? true : undefined),
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    await assert.rejects(access(logFile), /ENOENT/);
    await assert.rejects(access(`${server.dataDir}/stdin/${job.id}`), /ENOENT/);
  });

  it('keeps jobs that have not finished', async () => {
    const res = await server.api('POST', '/v1/jobs', { worker: 'echo', delaySeconds: 3600 });
    await new Promise((r) => setTimeout(r, 3500)); // past the retention: a queued job must still be there
    assert.equal((await server.api('GET', `/v1/jobs/${res.body.id}`)).status, 200);
  });
});
