import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { outputDirFor } from '../../lambdas/adapters/local/outputFormat.ts';
import { Job, PurgeResult } from '../../lambdas/core/schemas.ts';
import { ensureTestImages } from '../support/images.ts';
import { bytesOf, readAllLogs, startTestServer, type TestServer } from '../support/testServer.ts';
import { waitFor } from '../support/waitFor.ts';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Re-run, delete and purge, end to end: the HTTP API, dynalite, the local queue and real containers. */
describe('finished jobs can be re-run, deleted and purged', () => {
  let server: TestServer;
  before(async () => {
    await ensureTestImages();
    server = await startTestServer();
    const workers = [
      // Echoes stdin, then the env it got.
      { name: 'echo', image: 'runlater-test/busybox', command: ['sh', '-c', 'cat; echo "MODE=$MODE"'] },
      { name: 'sleeper', image: 'runlater-test/busybox', command: ['sleep', '600'] },
      { name: 'purgeable', image: 'runlater-test/busybox', command: ['true'] },
    ];
    for (const w of workers) {
      const res = await server.api('POST', '/v1/workers', w);
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
  });
  after(() => server.stop());

  async function queue(body: Record<string, unknown>): Promise<Job> {
    const res = await server.api('POST', '/v1/jobs', body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body as Job;
  }

  async function running(worker: string): Promise<Job> {
    const job = await queue({ worker });
    return waitFor(
      async () => {
        const { body } = await server.api('GET', `/v1/jobs/${job.id}`);
        return body.status === 'running' ? (body as Job) : undefined;
      },
      { timeoutMs: 60_000, message: `job ${job.id} running` },
    );
  }

  describe('re-run', () => {
    it('queues a new job with the same stdin (large, through the blob store) and env, overrides set over it, linked both ways', async () => {
      // 16 KiB in lines of 64: past the inline limit, so it goes through the blob store.
      const stdin = `${randomBytes(8 * 1024)
        .toString('hex')
        .replace(/(.{64})/g, '$1\n')}`;
      const first = await server.waitForFinal(
        (await queue({ worker: 'echo', stdin, env: { MODE: 'fast', KEEP: 'yes' } })).id,
      );
      assert.equal(first.status, 'succeeded', first.error ?? '');

      const res = await server.api('POST', `/v1/jobs/${first.id}/rerun`, { env: { MODE: 'verbose' } });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const rerun = Job.parse(res.body);
      assert.notEqual(rerun.id, first.id);
      assert.equal(rerun.rerunOf, first.id);
      assert.deepEqual(rerun.env, { MODE: 'verbose', KEEP: 'yes' });
      assert.equal(rerun.stdinBytes, first.stdinBytes);

      const done = await server.waitForFinal(rerun.id);
      assert.equal(done.status, 'succeeded', done.error ?? '');
      const out = bytesOf(await readAllLogs(server, rerun.id, 'stdout'), 'stdout').toString('utf8');
      assert.ok(
        out === `${stdin}MODE=verbose\n`,
        `stdout is the original stdin then MODE=verbose: ${out.slice(-40)}`,
      );

      const original = await server.api('GET', `/v1/jobs/${first.id}`);
      assert.deepEqual(original.body.reruns, [rerun.id]);
    });

    it('with no body re-runs as it was', async () => {
      const first = await server.waitForFinal((await queue({ worker: 'echo', stdin: 'small\n' })).id);
      // No body at all (no Content-Type either): the overrides are optional.
      const res = await server.api('POST', `/v1/jobs/${first.id}/rerun`);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const done = await server.waitForFinal(res.body.id);
      assert.equal(
        bytesOf(await readAllLogs(server, done.id, 'stdout'), 'stdout').toString(),
        'small\nMODE=\n',
      );
    });

    it('answers 404 for an unknown job and 409 for one not finished', async () => {
      const unknown = await server.api('POST', '/v1/jobs/01kb2x7d3q9m4v8e6r5t0y1z2w/rerun', {});
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'not_found');
      const job = await running('sleeper');
      const res = await server.api('POST', `/v1/jobs/${job.id}/rerun`, {});
      assert.equal(res.status, 409);
      assert.match(res.body.error.message, /only a finished job can be re-run/);
      await server.api('POST', `/v1/jobs/${job.id}/cancel`);
      await server.waitForFinal(job.id);
    });

    it('answers 410 once retention removed the stdin, and queues nothing', async () => {
      const first = await server.waitForFinal(
        (await queue({ worker: 'echo', stdin: 'x'.repeat(10_000) })).id,
      );
      // What the retention sweep (or the S3 lifecycle rule) does to stdin.
      await rm(join(server.dataDir, 'stdin', first.id));
      const before = (await server.api('GET', '/v1/jobs?worker=echo&limit=200')).body.jobs.length;
      const res = await server.api('POST', `/v1/jobs/${first.id}/rerun`, {});
      assert.equal(res.status, 410, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'gone');
      assert.equal((await server.api('GET', '/v1/jobs?worker=echo&limit=200')).body.jobs.length, before);
    });

    it('refuses bad overrides with 400 naming the field', async () => {
      const first = await server.waitForFinal((await queue({ worker: 'echo' })).id);
      const res = await server.api('POST', `/v1/jobs/${first.id}/rerun`, { env: { RUNLATER_X: '1' } });
      assert.equal(res.status, 400);
      assert.match(res.body.error.message, /reserved/);
      const unknownField = await server.api('POST', `/v1/jobs/${first.id}/rerun`, { worker: 'sleeper' });
      assert.equal(unknownField.status, 400);
      assert.match(unknownField.body.error.message, /unknown field "worker"/);
    });
  });

  describe('delete', () => {
    it('removes a finished job with its stdin and output; then it is 404', async () => {
      const job = await server.waitForFinal((await queue({ worker: 'echo', stdin: 'y'.repeat(10_000) })).id);
      const taskId = job.attempts[0]!.taskId!;
      const logFile = outputDirFor(server.dataDir, taskId);
      const stdinFile = join(server.dataDir, 'stdin', job.id);
      assert.ok(await exists(logFile), 'the output is on disk before');
      assert.ok(await exists(stdinFile), 'the stdin is on disk before');

      const res = await server.api('DELETE', `/v1/jobs/${job.id}`);
      assert.equal(res.status, 204, JSON.stringify(res.body));
      assert.equal((await server.api('GET', `/v1/jobs/${job.id}`)).status, 404);
      assert.equal((await server.api('GET', `/v1/jobs/${job.id}/logs`)).status, 404);
      assert.equal(await exists(logFile), false, 'output deleted');
      assert.equal(await exists(stdinFile), false, 'stdin deleted');
      assert.equal((await server.api('DELETE', `/v1/jobs/${job.id}`)).status, 404);
    });

    it('refuses a running job (409) and leaves it running', async () => {
      const job = await running('sleeper');
      const res = await server.api('DELETE', `/v1/jobs/${job.id}`);
      assert.equal(res.status, 409);
      assert.match(res.body.error.message, /is running/);
      assert.equal((await server.api('GET', `/v1/jobs/${job.id}`)).body.status, 'running');
      await server.api('POST', `/v1/jobs/${job.id}/cancel`);
      await server.waitForFinal(job.id);
    });
  });

  describe('purge', () => {
    it('deletes finished jobs of a worker, at most limit a call, and says when there are more', async () => {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await queue({ worker: 'purgeable' })).id);
      for (const id of ids) await server.waitForFinal(id);
      const other = await server.waitForFinal((await queue({ worker: 'echo' })).id);

      const first = await server.api('POST', '/v1/jobs/purge', { worker: 'purgeable', limit: 2 });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual(PurgeResult.parse(first.body), { deleted: 2, more: true });
      const second = await server.api('POST', '/v1/jobs/purge', { worker: 'purgeable', limit: 2 });
      assert.deepEqual(second.body, { deleted: 1, more: false });
      assert.deepEqual((await server.api('GET', '/v1/jobs?worker=purgeable')).body.jobs, []);
      assert.equal((await server.api('GET', `/v1/jobs/${other.id}`)).status, 200, 'other workers untouched');
      const logs = await readdir(join(server.dataDir, 'logs'));
      for (const id of ids) assert.ok(!logs.some((f) => f.includes(id)), 'no output left');
    });

    it('leaves jobs younger than olderThanSeconds, and jobs not finished', async () => {
      await server.waitForFinal((await queue({ worker: 'purgeable' })).id);
      const live = await running('sleeper');
      const young = await server.api('POST', '/v1/jobs/purge', {
        worker: 'purgeable',
        olderThanSeconds: 3600,
      });
      assert.deepEqual(young.body, { deleted: 0, more: false });
      await server.api('POST', '/v1/jobs/purge', { worker: 'sleeper' });
      assert.equal((await server.api('GET', `/v1/jobs/${live.id}`)).body.status, 'running');
      await server.api('POST', `/v1/jobs/${live.id}/cancel`);
      await server.waitForFinal(live.id);
    });

    it('refuses a status that is not final, and a limit past the bound', async () => {
      const res = await server.api('POST', '/v1/jobs/purge', { status: 'running' });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.field, 'status');
      const big = await server.api('POST', '/v1/jobs/purge', { limit: 1000 });
      assert.equal(big.status, 400);
      assert.equal(big.body.error.field, 'limit');
    });
  });
});
