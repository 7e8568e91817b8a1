import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureTestImages } from '../support/images.ts';
import { readAllLogs, startTestServer, type TestServer } from '../support/testServer.ts';

/** Issue 4's lifecycle, in local mode with real containers. */
describe('job lifecycle with real containers', () => {
  let server: TestServer;
  before(async () => {
    await ensureTestImages();
    server = await startTestServer();
    const workers = [
      {
        name: 'flaky',
        image: 'runlater-test/busybox',
        command: [
          'sh',
          '-c',
          'if [ "$RUNLATER_ATTEMPT" -ge 3 ]; then echo "ok on $RUNLATER_ATTEMPT"; else echo "attempt $RUNLATER_ATTEMPT fails" >&2; exit 1; fi',
        ],
        retry: { maxAttempts: 3, backoff: [1, 1], jitter: false, noRetryExitCodes: [42] },
      },
      {
        name: 'exit',
        image: 'runlater-test/busybox',
        command: ['sh', '-c', 'exit "$CODE"'],
        retry: { maxAttempts: 3, backoff: 'none', noRetryExitCodes: [42] },
      },
      { name: 'sleep', image: 'runlater-test/busybox', command: ['sleep', '30'] },
      { name: 'tick', image: 'runlater-test/busybox', command: ['sh', '-c', 'echo tick'] },
    ];
    for (const w of workers) assert.equal((await server.api('POST', '/v1/workers', w)).status, 201);
  });
  after(() => server.stop());

  async function submit(body: Record<string, unknown>, headers: Record<string, string> = {}) {
    const res = await server.api('POST', '/v1/jobs', body, { headers });
    assert.ok(res.status === 202 || res.status === 200, JSON.stringify(res.body));
    return res;
  }

  async function waitForStatus(id: string, status: string, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await server.api('GET', `/v1/jobs/${id}`);
      if (body.status === status) return body;
      if (Date.now() > deadline)
        throw new Error(`job ${id} is ${body.status}, not ${status}, after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('fails twice, then succeeds under maxAttempts 3, with every attempt recorded and its logs readable', async () => {
    const { body } = await submit({ worker: 'flaky' });
    const job = await server.waitForFinal(body.id, 90_000);
    assert.equal(job.status, 'succeeded');
    assert.equal(job.attempt, 3);
    assert.deepEqual(
      job.attempts.map((a) => [a.attempt, a.status, a.exitCode]),
      [
        [1, 'failed', 1],
        [2, 'failed', 1],
        [3, 'succeeded', 0],
      ],
    );
    for (const a of job.attempts)
      assert.ok(a.startedAt && a.finishedAt, `attempt ${a.attempt} has its times`);
    const first = await server.api('GET', `/v1/jobs/${job.id}/logs?attempt=1`);
    assert.deepEqual(
      first.body.lines.map((l: any) => `${l.stream}:${l.text}`),
      ['stderr:attempt 1 fails'],
    );
    assert.deepEqual(
      (await readAllLogs(server, job.id)).map((l) => l.text),
      ['ok on 3'],
    );
  });

  it('a non-retryable exit code ends the job at once', async () => {
    const { body } = await submit({ worker: 'exit', env: { CODE: '42' } });
    const job = await server.waitForFinal(body.id);
    assert.equal(job.status, 'failed');
    assert.equal(job.exitCode, 42);
    assert.equal(job.attempt, 1);
  });

  it('a job past its timeout is stopped and ends timed_out', async () => {
    const { body } = await submit({ worker: 'sleep', timeoutSeconds: 2 });
    const job = await server.waitForFinal(body.id, 60_000);
    assert.equal(job.status, 'timed_out');
    assert.equal(job.attempt, 1);
    const ran = Date.parse(job.finishedAt!) - Date.parse(job.startedAt!);
    assert.ok(ran >= 2000 && ran < 25_000, `ran ${ran} ms`);
  });

  it('cancel while running stops the container and ends cancelled', async () => {
    const { body } = await submit({ worker: 'sleep' });
    await waitForStatus(body.id, 'running');
    const res = await server.api('POST', `/v1/jobs/${body.id}/cancel`);
    assert.equal(res.status, 202);
    const job = await server.waitForFinal(body.id, 60_000);
    assert.equal(job.status, 'cancelled');
    assert.ok(Date.parse(job.finishedAt!) - Date.parse(job.startedAt!) < 25_000);
  });

  it('cancel while queued: the job never starts', async () => {
    const { body } = await submit({ worker: 'tick', delaySeconds: 2 });
    assert.equal((await server.api('POST', `/v1/jobs/${body.id}/cancel`)).status, 202);
    await new Promise((r) => setTimeout(r, 3000)); // past its start time: it must still not run
    const { body: job } = await server.api('GET', `/v1/jobs/${body.id}`);
    assert.equal(job.status, 'cancelled');
    assert.equal(job.attempt, 0);
    assert.equal(job.startedAt, null);
  });

  it('a delayed job does not start early', async () => {
    const { body } = await submit({ worker: 'tick', delaySeconds: 3 });
    const job = await server.waitForFinal(body.id, 30_000);
    assert.equal(job.status, 'succeeded');
    assert.ok(
      Date.parse(job.startedAt!) >= Date.parse(job.createdAt) + 3000,
      `${job.createdAt} → ${job.startedAt}`,
    );
    assert.equal(job.runAt, new Date(Date.parse(job.createdAt) + 3000).toISOString());
  });

  it('the same idempotency key twice gives one job; with another body, 409', async () => {
    const headers = { 'idempotency-key': `key-${Date.now()}` };
    const first = await submit({ worker: 'tick', env: { A: '1' } }, headers);
    const again = await submit({ env: { A: '1' }, worker: 'tick' }, headers);
    assert.equal(first.status, 202);
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    const other = await server.api('POST', '/v1/jobs', { worker: 'tick', env: { A: '2' } }, { headers });
    assert.equal(other.status, 409);
    const job = await server.waitForFinal(first.body.id);
    assert.equal(job.attempt, 1);
    const { body } = await server.api('GET', '/v1/jobs?worker=tick&limit=200');
    assert.equal(body.jobs.filter((j: any) => j.env.A === '1').length, 1);
  });

  it('a schedule fires on time, twice, each run a normal job', { timeout: 200_000 }, async () => {
    const created = await server.api('POST', '/v1/schedules', {
      name: 'every-minute',
      worker: 'tick',
      expression: 'cron(* * * * ? *)',
      timezone: 'Europe/Berlin',
      job: { env: { FROM: 'schedule' } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const deadline = Date.now() + 150_000;
    let runs: any[] = [];
    while (Date.now() < deadline) {
      const { body } = await server.api('GET', '/v1/jobs?worker=tick&limit=200');
      runs = body.jobs.filter((j: any) => j.env.FROM === 'schedule');
      if (runs.length >= 2) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(runs.length >= 2, `fired ${runs.length} times`);
    for (const run of runs.slice(0, 2)) {
      const created = Date.parse(run.createdAt);
      const sinceMinute = created % 60_000;
      assert.ok(sinceMinute < 5000, `queued ${sinceMinute} ms after the minute`);
      assert.equal((await server.waitForFinal(run.id)).status, 'succeeded');
    }
    assert.notEqual(
      Math.floor(Date.parse(runs[0].createdAt) / 60_000),
      Math.floor(Date.parse(runs[1].createdAt) / 60_000),
    );
    const paused = await server.api('POST', '/v1/schedules/every-minute/pause');
    assert.equal(paused.body.state, 'paused');
    assert.equal(paused.body.nextRunAt, null);
    assert.equal((await server.api('DELETE', '/v1/schedules/every-minute')).status, 204);
  });
});
