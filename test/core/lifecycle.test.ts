import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Dispatcher } from '../../lambdas/core/Dispatcher.ts';
import { RetryLaterError } from '../../lambdas/core/errors.ts';
import { JobService } from '../../lambdas/core/JobService.ts';
import type { TaskUpdate } from '../../lambdas/core/ports.ts';
import { TaskStatusRecorder } from '../../lambdas/core/TaskStatusRecorder.ts';
import { WorkerService } from '../../lambdas/core/WorkerService.ts';
import { coreHarness, throttled } from '../support/coreHarness.ts';

describe('job lifecycle rules (core on dynalite)', () => {
  let h: Awaited<ReturnType<typeof coreHarness>>;
  let jobsApi: JobService;
  let dispatcher: Dispatcher;
  let recorder: TaskStatusRecorder;
  let worker = 0;
  let name = '';

  before(async () => {
    h = await coreHarness();
    jobsApi = new JobService({
      ...h,
    });
    dispatcher = new Dispatcher(h);
    recorder = new TaskStatusRecorder({ ...h, random: () => 0.5 });
  });
  after(() => h.close());
  beforeEach(async () => {
    name = `w${++worker}`;
    await new WorkerService(h.workers, h.clock).create({
      name,
      image: 'busybox',
      retry: { maxAttempts: 3, backoff: [10, 20], jitter: false, noRetryExitCodes: [64] },
    });
    h.launcher.launches = [];
    h.launcher.stops = [];
    h.queue.sent = [];
  });

  async function queued() {
    const { job } = await jobsApi.submit({ worker: name, stdin: 'x' });
    assert.deepEqual(h.queue.sent.at(-1), { message: { jobId: job.id, attempt: 1 }, delaySeconds: 0 });
    return job;
  }

  const event = (
    jobId: string,
    attempt: number,
    state: 'running' | 'stopped',
    extra: Partial<TaskUpdate> = {},
  ) => ({
    taskId: `task-${jobId}-${attempt}`,
    jobId,
    attempt,
    state,
    at: h.clock.now(),
    ...extra,
  });

  it('a duplicate delivery of a dispatch message launches one task', async () => {
    const job = await queued();
    assert.equal(await dispatcher.dispatch({ jobId: job.id, attempt: 1 }), 'launched');
    assert.equal(await dispatcher.dispatch({ jobId: job.id, attempt: 1 }), 'stale');
    assert.equal(h.launcher.launches.length, 1);
    assert.equal(h.launcher.launches[0]!.clientToken, `${job.id}-1`);
    const stored = await h.jobs.get(job.id);
    assert.equal(stored?.status, 'starting');
    assert.equal(stored?.taskId, `task-${job.id}-1`);
  });

  it('throttling puts the attempt back for later and never fails the job', async () => {
    const job = await queued();
    h.launcher.failNext.push(throttled());
    await assert.rejects(dispatcher.dispatch({ jobId: job.id, attempt: 1 }), RetryLaterError);
    assert.equal((await h.jobs.get(job.id))?.status, 'starting');
    // The redelivered message launches with the same idempotency token.
    assert.equal(await dispatcher.dispatch({ jobId: job.id, attempt: 1 }), 'launched');
    assert.deepEqual(
      h.launcher.launches.map((s) => s.clientToken),
      [`${job.id}-1`],
    );
  });

  it('duplicate and out-of-order task events change nothing', async () => {
    const job = await queued();
    await dispatcher.dispatch({ jobId: job.id, attempt: 1 });
    assert.equal(await recorder.record(event(job.id, 1, 'running')), 'recorded');
    assert.equal(await recorder.record(event(job.id, 1, 'running')), 'ignored');
    const stop = event(job.id, 1, 'stopped', { exitCode: 0, cause: 'exited' });
    assert.equal(await recorder.record(stop), 'recorded');
    assert.equal(await recorder.record(stop), 'ignored');
    assert.equal(await recorder.record(event(job.id, 1, 'running')), 'ignored');
    const final = await jobsApi.get(job.id);
    assert.equal(final.status, 'succeeded');
    assert.equal(final.exitCode, 0);
  });

  it('a stop that arrives before running is recorded; the late running is dropped', async () => {
    const job = await queued();
    await dispatcher.dispatch({ jobId: job.id, attempt: 1 });
    await recorder.record(event(job.id, 1, 'stopped', { exitCode: 2 }));
    await recorder.record(event(job.id, 1, 'running'));
    assert.equal((await jobsApi.get(job.id)).status, 'queued', 'exit 2 is retried under maxAttempts 3');
  });

  it('a failed attempt is retried with the policy delay, then succeeds', async () => {
    const job = await queued();
    for (const [attempt, exitCode] of [
      [1, 1],
      [2, 1],
      [3, 0],
    ] as const) {
      assert.equal(await dispatcher.dispatch({ jobId: job.id, attempt }), 'launched');
      await recorder.record(event(job.id, attempt, 'running'));
      await recorder.record(event(job.id, attempt, 'stopped', { exitCode }));
      if (attempt < 3) {
        assert.deepEqual(h.queue.sent.at(-1), {
          message: { jobId: job.id, attempt: attempt + 1 },
          delaySeconds: [10, 20][attempt - 1],
        });
        h.clock.advance(30);
      }
    }
    const final = await jobsApi.get(job.id);
    assert.equal(final.status, 'succeeded');
    assert.equal(final.attempt, 3);
    assert.deepEqual(
      final.attempts.map((a) => [a.attempt, a.status, a.exitCode]),
      [
        [1, 'failed', 1],
        [2, 'failed', 1],
        [3, 'succeeded', 0],
      ],
    );
    assert.deepEqual(
      h.launcher.launches.map((s) => s.env.RUNLATER_ATTEMPT),
      ['1', '2', '3'],
    );
  });

  it('an exit code the worker names final ends the job at once', async () => {
    const job = await queued();
    await dispatcher.dispatch({ jobId: job.id, attempt: 1 });
    await recorder.record(event(job.id, 1, 'stopped', { exitCode: 64 }));
    const final = await jobsApi.get(job.id);
    assert.equal(final.status, 'failed');
    assert.equal(final.exitCode, 64);
    assert.equal(h.queue.sent.length, 1, 'no retry was queued');
  });

  it('a task that never started (image pull error) fails with the reason', async () => {
    const job = await queued();
    await dispatcher.dispatch({ jobId: job.id, attempt: 1 });
    await recorder.record(
      event(job.id, 1, 'stopped', {
        exitCode: null,
        cause: 'start-failed',
        reason: 'CannotPullContainerError: pull access denied',
      }),
    );
    const final = await jobsApi.get(job.id);
    assert.equal(final.status, 'failed');
    assert.equal(final.exitCode, null);
    assert.match(final.error ?? '', /CannotPullContainerError/);
  });

  it('a task that failed to start for a passing reason is retried on its own path, reported as infrastructure', async () => {
    const job = await queued();
    const transient = 'ResourceInitializationError: unable to pull secrets or registry auth: i/o timeout';
    for (let attempt = 1; attempt <= 4; attempt++) {
      assert.equal(await dispatcher.dispatch({ jobId: job.id, attempt }), 'launched');
      await recorder.record(
        event(job.id, attempt, 'stopped', {
          exitCode: null,
          cause: 'infrastructure',
          reason: transient,
        }),
      );
      if (attempt <= 3) {
        assert.deepEqual(h.queue.sent.at(-1), {
          message: { jobId: job.id, attempt: attempt + 1 },
          delaySeconds: [15, 60, 180][attempt - 1],
        });
        h.clock.advance(200);
      }
    }
    const final = await jobsApi.get(job.id);
    assert.equal(final.status, 'failed');
    assert.match(final.error ?? '', /^infrastructure: task did not run: ResourceInitializationError/);
    assert.equal(final.attempts.length, 4);
  });

  it('infrastructure failures do not use up the attempts of the retry policy', async () => {
    const job = await queued();
    await dispatcher.dispatch({ jobId: job.id, attempt: 1 });
    await recorder.record(
      event(job.id, 1, 'stopped', { exitCode: null, cause: 'infrastructure', reason: 'capacity' }),
    );
    h.clock.advance(20);
    for (const attempt of [2, 3, 4]) {
      await dispatcher.dispatch({ jobId: job.id, attempt });
      await recorder.record(event(job.id, attempt, 'stopped', { exitCode: 1 }));
      h.clock.advance(30);
    }
    const final = await jobsApi.get(job.id);
    assert.equal(final.status, 'failed');
    assert.deepEqual(
      final.attempts.map((a) => a.exitCode),
      [null, 1, 1, 1],
      'three attempts ran, as maxAttempts allows',
    );
  });

  it('cancel: a running job is stopped and ends cancelled; cancelling it again is a conflict', async () => {
    const job = await queued();
    await dispatcher.dispatch({ jobId: job.id, attempt: 1 });
    await recorder.record(event(job.id, 1, 'running'));
    const marked = await jobsApi.cancel(job.id);
    assert.equal(marked.cancelRequested, true);
    assert.deepEqual(h.launcher.stops, [{ taskId: `task-${job.id}-1`, reason: 'runlater: cancelled' }]);
    await recorder.record(
      event(job.id, 1, 'stopped', {
        exitCode: 143,
        cause: 'stopped-by-request',
        reason: 'runlater: cancelled',
      }),
    );
    assert.equal((await jobsApi.get(job.id)).status, 'cancelled');
    await assert.rejects(jobsApi.cancel(job.id), /already cancelled/);
  });

  it('cancel while starting: the task is stopped as soon as it is recorded', async () => {
    const job = await queued();
    // Crash between the move to starting and the launch: the job is starting with no task.
    h.launcher.failNext.push(throttled());
    await assert.rejects(dispatcher.dispatch({ jobId: job.id, attempt: 1 }));
    await jobsApi.cancel(job.id);
    assert.deepEqual(h.launcher.stops, []);
    await dispatcher.dispatch({ jobId: job.id, attempt: 1 });
    assert.deepEqual(h.launcher.stops, [{ taskId: `task-${job.id}-1`, reason: 'runlater: cancelled' }]);
  });

  it('a timeout stop ends timed_out and is not retried', async () => {
    const job = await queued();
    await dispatcher.dispatch({ jobId: job.id, attempt: 1 });
    await recorder.record(
      event(job.id, 1, 'stopped', {
        exitCode: 137,
        cause: 'stopped-by-request',
        reason: 'runlater: timed out',
      }),
    );
    const final = await jobsApi.get(job.id);
    assert.equal(final.status, 'timed_out');
    assert.equal(h.queue.sent.length, 1);
  });

  it('a message that comes before runAt goes back for the rest of the delay', async () => {
    const { job } = await jobsApi.submit({ worker: name, delaySeconds: 3600 });
    assert.deepEqual(h.queue.sent.at(-1), { message: { jobId: job.id, attempt: 1 }, delaySeconds: 3600 });
    h.clock.advance(900); // SQS delivers after at most 15 minutes
    assert.equal(await dispatcher.dispatch({ jobId: job.id, attempt: 1 }), 'not-yet');
    assert.deepEqual(h.queue.sent.at(-1), { message: { jobId: job.id, attempt: 1 }, delaySeconds: 2700 });
    assert.equal(h.launcher.launches.length, 0);
  });

  it('the same idempotency key returns the same job; with another body it is a conflict', async () => {
    const first = await jobsApi.submit({ worker: name, stdin: 'a' }, { idempotencyKey: 'key-1' });
    const again = await jobsApi.submit({ stdin: 'a', worker: name }, { idempotencyKey: 'key-1' });
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.equal(again.job.id, first.job.id);
    await assert.rejects(
      jobsApi.submit({ worker: name, stdin: 'b' }, { idempotencyKey: 'key-1' }),
      /different request body/,
    );
    // A replay of a job that has not started sends its dispatch again (the first may have been
    // lost); the dispatcher starts one attempt however many arrive.
    assert.deepEqual(
      new Set(h.queue.sent.filter((s) => s.message.jobId === first.job.id).map((s) => s.message.attempt)),
      new Set([1]),
    );
    assert.equal((await h.jobs.list({ worker: name, limit: 10 })).jobs.length, 1, 'one job');
  });

  it('large stdin goes to the blob store, small stdin stays inline', async () => {
    const { job: small } = await jobsApi.submit({ worker: name, stdin: 'x'.repeat(100) });
    const { job: large } = await jobsApi.submit({
      worker: name,
      stdinBase64: Buffer.alloc(64 * 1024, 7).toString('base64'),
    });
    assert.ok('inlineBase64' in (await h.jobs.get(small.id))!.stdin);
    assert.deepEqual((await h.jobs.get(large.id))!.stdin, {
      bytes: 65536,
      blobKey: large.id,
      sha256: createHash('sha256')
        .update(Buffer.alloc(64 * 1024, 7))
        .digest('hex'),
    });
    assert.equal(h.stdin.blobs.get(large.id)?.length, 65536);
  });
});
