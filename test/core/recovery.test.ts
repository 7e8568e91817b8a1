import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Dispatcher } from '../../lambdas/core/Dispatcher.ts';
import { JobService } from '../../lambdas/core/JobService.ts';
import type { DispatchMessage, TaskUpdate } from '../../lambdas/core/ports.ts';
import { Reconciler } from '../../lambdas/core/Reconciler.ts';
import { TaskStatusRecorder } from '../../lambdas/core/TaskStatusRecorder.ts';
import { WorkerService } from '../../lambdas/core/WorkerService.ts';
import { coreHarness, throttled } from '../support/coreHarness.ts';

/** Issue 9 point 8: recovery at the edges, and progress that says why a job waits. */
describe('recovery at the edges (core on dynalite)', () => {
  let h: Awaited<ReturnType<typeof coreHarness>>;
  let jobsApi: JobService;
  let dispatcher: Dispatcher;
  let recorder: TaskStatusRecorder;
  let reconciler: Reconciler;
  /** While set, the queue loses what it is sent, as a POST that dies after its write would. */
  let losing = false;
  let worker = 0;
  let name = '';

  before(async () => {
    h = await coreHarness();
    const recording = h.queue;
    const queue = {
      send: async (message: DispatchMessage, delaySeconds: number) => {
        if (losing) throw new Error('the process died before the message was sent');
        await recording.send(message, delaySeconds);
      },
    };
    const deps = {
      ...h,
      queue,
    };
    jobsApi = new JobService(deps);
    dispatcher = new Dispatcher(deps);
    recorder = new TaskStatusRecorder({ ...deps, random: () => 0.5 });
    reconciler = new Reconciler({ ...deps, recorder });
  });
  after(() => h.close());
  beforeEach(async () => {
    losing = false;
    name = `r${++worker}`;
    await new WorkerService(h.workers, h.clock).create({ name, image: 'busybox' });
    h.queue.sent = [];
  });

  const stopped = (jobId: string, attempt: number, extra: Partial<TaskUpdate>): TaskUpdate => ({
    taskId: `task-${jobId}-${attempt}`,
    jobId,
    attempt,
    state: 'stopped',
    at: h.clock.now(),
    ...extra,
  });

  /** Clears the jobs of earlier tests, so that the reconciler looks only at this test's. */
  async function settleAll() {
    for (const status of ['queued', 'starting', 'running'] as const) {
      const { jobs } = await h.jobs.list({ status, limit: 200 });
      for (const j of jobs) await h.jobs.update(j.id, { status: [status] }, { status: 'cancelled' });
    }
  }

  it('a job whose POST died after its write is dispatched again within about a minute', async () => {
    await settleAll();
    losing = true;
    await assert.rejects(jobsApi.submit({ worker: name }), /died/);
    losing = false;
    const [job] = (await h.jobs.list({ worker: name, limit: 10 })).jobs;
    assert.equal(job?.status, 'queued');
    h.clock.advance(61);
    await reconciler.run();
    assert.deepEqual(h.queue.sent, [{ message: { jobId: job!.id, attempt: 1 }, delaySeconds: 0 }]);
  });

  it('an Idempotency-Key replay that answers with the job re-sends its lost dispatch', async () => {
    losing = true;
    await assert.rejects(jobsApi.submit({ worker: name, stdin: 'x' }, { idempotencyKey: `k-${name}` }));
    losing = false;
    const replay = await jobsApi.submit({ worker: name, stdin: 'x' }, { idempotencyKey: `k-${name}` });
    assert.equal(replay.created, false);
    assert.deepEqual(h.queue.sent, [{ message: { jobId: replay.job.id, attempt: 1 }, delaySeconds: 0 }]);
    assert.equal(await dispatcher.dispatch({ jobId: replay.job.id, attempt: 1 }), 'launched');
  });

  it('a pull that keeps failing is retried as infrastructure: the count stays true and says why', async () => {
    const { job } = await jobsApi.submit({ worker: name });
    const reason = 'CannotPullContainerError: dial tcp: i/o timeout';
    for (let attempt = 1; attempt <= 4; attempt++) {
      assert.equal(await dispatcher.dispatch({ jobId: job.id, attempt }), 'launched');
      const starting = await jobsApi.get(job.id);
      assert.ok(
        starting.attempt <= starting.maxAttempts,
        `attempt ${starting.attempt} of ${starting.maxAttempts}`,
      );
      assert.equal(starting.waitingReason, null);
      await recorder.record(stopped(job.id, attempt, { exitCode: null, cause: 'infrastructure', reason }));
      const after = await jobsApi.get(job.id);
      if (attempt <= 3) {
        assert.equal(after.status, 'queued');
        assert.equal(after.maxAttempts, attempt + 1, 'an infrastructure retry does not use up the job');
        assert.match(
          after.waitingReason ?? '',
          new RegExp(`infrastructure retry ${attempt} of 3.*i/o timeout`),
        );
        h.clock.advance(200);
      } else {
        assert.equal(after.status, 'failed');
        assert.equal(after.waitingReason, null);
        assert.equal(`${after.attempt} of ${after.maxAttempts}`, '4 of 4');
        assert.match(after.error ?? '', /^infrastructure: task did not run: CannotPullContainerError/);
      }
    }
  });

  it('a retry after a failed run says which attempt comes and why', async () => {
    await new WorkerService(h.workers, h.clock).create({
      name: `${name}-retry`,
      image: 'busybox',
      retry: { maxAttempts: 2, backoff: [30], jitter: false },
    });
    const { job } = await jobsApi.submit({ worker: `${name}-retry` });
    await dispatcher.dispatch({ jobId: job.id, attempt: 1 });
    await recorder.record(stopped(job.id, 1, { exitCode: 3, cause: 'exited' }));
    const waiting = await jobsApi.get(job.id);
    assert.equal(waiting.status, 'queued');
    assert.equal(waiting.waitingReason, 'retrying in 30s (attempt 2 of 2): attempt 1 exited with code 3');
  });

  it('finishedAt is never before startedAt, even when the runner says so', async () => {
    const { job } = await jobsApi.submit({ worker: name });
    await dispatcher.dispatch({ jobId: job.id, attempt: 1 });
    const startedAt = new Date(h.clock.now().getTime() + 5);
    await recorder.record({ ...stopped(job.id, 1, {}), state: 'running', at: startedAt });
    const stopAt = new Date(startedAt.getTime() - 1); // a runner's clock, rounded: 1 ms "before"
    await recorder.record(stopped(job.id, 1, { exitCode: 0, cause: 'exited', at: stopAt }));
    const final = await jobsApi.get(job.id);
    assert.equal(final.status, 'succeeded');
    assert.ok(final.finishedAt! >= final.startedAt!, `${final.finishedAt} < ${final.startedAt}`);
    assert.ok(final.attempts[0]!.finishedAt! >= final.attempts[0]!.startedAt!);
  });

  it('a job killed for its memory says "out of memory"', async () => {
    const { job } = await jobsApi.submit({ worker: name });
    await dispatcher.dispatch({ jobId: job.id, attempt: 1 });
    await recorder.record(stopped(job.id, 1, { exitCode: 137, cause: 'out-of-memory' }));
    const final = await jobsApi.get(job.id);
    assert.equal(final.status, 'failed');
    assert.equal(final.exitCode, 137);
    assert.match(final.error ?? '', /^out of memory/);
  });

  it('a job whose task cannot be started now says so while it waits, once', async () => {
    const { job } = await jobsApi.submit({ worker: name });
    h.launcher.failNext.push(throttled(), throttled());
    for (let i = 0; i < 2; i++)
      await assert.rejects(dispatcher.dispatch({ jobId: job.id, attempt: 1 }), /Rate exceeded/);
    const waiting = await jobsApi.get(job.id);
    assert.equal(waiting.status, 'starting');
    assert.match(waiting.waitingReason ?? '', /cannot be started now \(throttled\).*Rate exceeded/);
    assert.equal(await dispatcher.dispatch({ jobId: job.id, attempt: 1 }), 'launched');
    assert.equal((await jobsApi.get(job.id)).waitingReason, null);
  });

  it('a delayed job says what it waits for', async () => {
    const { job } = await jobsApi.submit({ worker: name, delaySeconds: 600 });
    assert.equal(job.waitingReason, `delayed until ${job.runAt}`);
  });
});
