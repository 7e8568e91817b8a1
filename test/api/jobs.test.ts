import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Job } from '../../lambdas/core/schemas.ts';
import { ensureTestImages } from '../support/images.ts';
import { bytesOf, readAllLogs, startTestServer, type TestServer } from '../support/testServer.ts';

/** End to end on one machine: the HTTP API, dynalite, the local queue and real containers in Docker. */
describe('jobs run in real containers', () => {
  let server: TestServer;
  before(async () => {
    await ensureTestImages();
    server = await startTestServer();
    const workers = [
      { name: 'cat', image: 'runlater-test/busybox', command: ['cat'] },
      // No shell in the image, and no command: the image's own ENTRYPOINT (a static binary) runs.
      { name: 'noshell', image: 'runlater-test/noshell' },
      {
        name: 'sh',
        image: 'runlater-test/busybox',
        // Writes to the two streams are spaced: they travel through two pipes, and lines written
        // within the same instant on different streams may be received in either order.
        command: [
          'sh',
          '-c',
          'echo "$GREETING $NAME"; echo out1; sleep 0.2; echo err1 >&2; sleep 0.2; echo out2; sleep 0.2; echo err2 >&2; exit "${CODE:-0}"',
        ],
        env: { GREETING: 'hello', NAME: 'worker' },
      },
    ];
    for (const w of workers) {
      const res = await server.api('POST', '/v1/workers', w);
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
  });
  after(() => server.stop());

  async function run(body: Record<string, unknown>): Promise<Job> {
    const res = await server.api('POST', '/v1/jobs', body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    Job.parse(res.body); // the answer matches the documented schema
    assert.equal(res.body.status, 'queued');
    return server.waitForFinal(res.body.id);
  }

  for (const worker of ['cat', 'noshell']) {
    describe(`worker "${worker}" echoes stdin byte for byte`, () => {
      it('text', async () => {
        const stdin = 'hello, runlater\nsecond line — ünïcödé\nno newline at the end';
        const job = await run({ worker, stdin });
        assert.equal(job.status, 'succeeded', job.error ?? '');
        assert.equal(job.exitCode, 0);
        assert.equal(job.stdinBytes, Buffer.byteLength(stdin));
        assert.equal(bytesOf(await readAllLogs(server, job.id), 'stdout').toString('utf8'), stdin);
      });

      it('1 MiB of random binary (stdinBase64)', async () => {
        const stdin = randomBytes(1024 * 1024);
        const job = await run({ worker, stdinBase64: stdin.toString('base64') });
        assert.equal(job.status, 'succeeded', job.error ?? '');
        const out = bytesOf(await readAllLogs(server, job.id, 'stdout'), 'stdout');
        assert.equal(out.length, stdin.length);
        assert.ok(out.equals(stdin), 'stdout equals stdin');
      });

      it('empty stdin', async () => {
        const job = await run({ worker });
        assert.equal(job.status, 'succeeded', job.error ?? '');
        assert.equal(job.stdinBytes, 0);
        assert.deepEqual(await readAllLogs(server, job.id), []);
      });
    });
  }

  it('a job that writes both streams and exits 3 ends failed, each line under its stream, in order', async () => {
    const job = await run({ worker: 'sh', env: { CODE: '3' } });
    assert.equal(job.status, 'failed');
    assert.equal(job.exitCode, 3);
    assert.match(job.error ?? '', /code 3/);
    assert.equal(job.attempt, 1);
    assert.equal(job.attempts.length, 1);
    assert.equal(job.attempts[0]!.exitCode, 3);
    const lines = await readAllLogs(server, job.id);
    assert.deepEqual(
      lines.map((l) => `${l.stream}:${l.text}`),
      ['stdout:hello worker', 'stdout:out1', 'stderr:err1', 'stdout:out2', 'stderr:err2'],
    );
    const timestamps = lines.map((l) => Date.parse(l.timestamp));
    assert.deepEqual(
      [...timestamps].sort((a, b) => a - b),
      timestamps,
      'timestamps in order',
    );
    const stderr = await server.api('GET', `/v1/jobs/${job.id}/logs?stream=stderr`);
    assert.deepEqual(
      stderr.body.lines.map((l: any) => l.text),
      ['err1', 'err2'],
    );
  });

  it('exit 0 ends succeeded with the times recorded', async () => {
    const job = await run({ worker: 'sh' });
    assert.equal(job.status, 'succeeded');
    assert.equal(job.exitCode, 0);
    assert.equal(job.error, null);
    assert.ok(job.startedAt && job.finishedAt && job.startedAt <= job.finishedAt);
  });

  it("worker env and job env both reach the process; the job's value wins", async () => {
    const job = await run({ worker: 'sh', env: { NAME: 'job' } });
    const lines = await readAllLogs(server, job.id, 'stdout');
    assert.equal(lines[0].text, 'hello job');
  });

  it("RUNLATER_JOB_ID and RUNLATER_ATTEMPT are in every attempt's env", async () => {
    const res = await server.api('POST', '/v1/workers', {
      name: 'env',
      image: 'runlater-test/busybox',
      command: ['sh', '-c', 'echo "$RUNLATER_JOB_ID $RUNLATER_ATTEMPT"'],
    });
    assert.equal(res.status, 201);
    const job = await run({ worker: 'env' });
    const lines = await readAllLogs(server, job.id, 'stdout');
    assert.equal(lines[0].text, `${job.id} 1`);
  });

  it('lists jobs newest first, by worker and by status', async () => {
    const all = await server.api('GET', '/v1/jobs?limit=200');
    assert.equal(all.status, 200);
    const ids = all.body.jobs.map((j: Job) => j.id);
    assert.deepEqual([...ids].sort().reverse(), ids);
    const failed = await server.api('GET', '/v1/jobs?status=failed');
    assert.ok(failed.body.jobs.length >= 1);
    assert.ok(failed.body.jobs.every((j: Job) => j.status === 'failed'));
    const byWorker = await server.api('GET', '/v1/jobs?worker=noshell&limit=2');
    assert.equal(byWorker.body.jobs.length, 2);
    assert.ok(byWorker.body.jobs.every((j: Job) => j.worker === 'noshell'));
    const next = await server.api(
      'GET',
      `/v1/jobs?worker=noshell&limit=2&cursor=${byWorker.body.nextCursor}`,
    );
    assert.equal(next.body.jobs.length, 1);
    assert.ok(next.body.jobs[0].id < byWorker.body.jobs[1].id);
  });

  it('a queued job cancelled before it starts never runs; cancelling a final job is 409', async () => {
    const res = await server.api('POST', '/v1/jobs', { worker: 'sh', delaySeconds: 3600 });
    assert.equal(res.status, 202);
    const cancelled = await server.api('POST', `/v1/jobs/${res.body.id}/cancel`);
    assert.equal(cancelled.status, 202);
    assert.equal(cancelled.body.status, 'cancelled');
    const again = await server.api('POST', `/v1/jobs/${res.body.id}/cancel`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'conflict');
    const job = await server.api('GET', `/v1/jobs/${res.body.id}`);
    assert.equal(job.body.attempt, 0);
    assert.equal(job.body.startedAt, null);
  });
});
