import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Dispatcher } from '../../lambdas/core/Dispatcher.ts';
import { JobService } from '../../lambdas/core/JobService.ts';
import { Reconciler } from '../../lambdas/core/Reconciler.ts';
import { TaskStatusRecorder } from '../../lambdas/core/TaskStatusRecorder.ts';
import { WorkerService } from '../../lambdas/core/WorkerService.ts';
import { coreHarness } from '../support/coreHarness.ts';

describe('the reconciler settles what missed events leave hanging', () => {
  let h: Awaited<ReturnType<typeof coreHarness>>;
  let jobsApi: JobService;
  let dispatcher: Dispatcher;
  let recorder: TaskStatusRecorder;
  let reconciler: Reconciler;
  let n = 0;
  let worker = '';

  before(async () => {
    h = await coreHarness();
    jobsApi = new JobService({
      ...h,
    });
    dispatcher = new Dispatcher(h);
    recorder = new TaskStatusRecorder(h);
    reconciler = new Reconciler({ ...h, recorder }, { stuckAfterSeconds: 300, timeoutGraceSeconds: 30 });
  });
  after(() => h.close());
  beforeEach(async () => {
    worker = `w${++n}`;
    await new WorkerService(h.workers, h.clock).create({
      name: worker,
      image: 'busybox',
      timeoutSeconds: 60,
    });
    h.queue.sent = [];
    h.launcher.stops = [];
  });

  /** Every job the earlier tests left behind is settled first, so each test sees only its own. */
  async function settleAll() {
    for (const status of ['queued', 'starting', 'running'] as const) {
      const { jobs } = await h.jobs.list({ status, limit: 200 });
      for (const j of jobs) await h.jobs.update(j.id, { status: [status] }, { status: 'cancelled' });
    }
  }

  async function launched() {
    await settleAll();
    const { job } = await jobsApi.submit({ worker });
    await dispatcher.dispatch({ jobId: job.id, attempt: 1 });
    h.queue.sent = [];
    return (await h.jobs.get(job.id))!;
  }

  it('a job whose task vanished is settled as failed, with the reason', async () => {
    const job = await launched();
    assert.equal(h.launcher.tasks.has(job.taskId!), false);
    const summary = await reconciler.run();
    assert.equal(summary.settled, 1);
    const final = await jobsApi.get(job.id);
    assert.equal(final.status, 'failed');
    assert.match(final.error ?? '', /vanished/);
  });

  it('a job whose task stopped while its event was missed gets the exit code', async () => {
    const job = await launched();
    h.launcher.tasks.set(job.taskId!, {
      state: 'stopped',
      exitCode: 0,
      cause: 'exited',
      phases: { stoppedAt: h.clock.now() },
    });
    await reconciler.run();
    const final = await jobsApi.get(job.id);
    assert.equal(final.status, 'succeeded');
    assert.equal(final.exitCode, 0);
  });

  it('a task running past its timeout is stopped with the timeout reason', async () => {
    const job = await launched();
    h.launcher.tasks.set(job.taskId!, { state: 'running', phases: { startedAt: h.clock.now() } });
    await reconciler.run();
    assert.deepEqual(h.launcher.stops, [], 'not before the timeout');
    assert.equal((await jobsApi.get(job.id)).status, 'running', 'the missed RUNNING is recorded');
    h.clock.advance(60 + 31);
    const summary = await reconciler.run();
    assert.equal(summary.timedOut, 1);
    assert.deepEqual(h.launcher.stops, [{ taskId: job.taskId, reason: 'runlater: timed out' }]);
  });

  it('a queued job whose message was lost is dispatched again', async () => {
    await settleAll();
    const { job } = await jobsApi.submit({ worker });
    h.queue.sent = [];
    await reconciler.run();
    assert.deepEqual(h.queue.sent, [], 'not while it may still come');
    h.clock.advance(301);
    await reconciler.run();
    assert.deepEqual(h.queue.sent, [{ message: { jobId: job.id, attempt: 1 }, delaySeconds: 0 }]);
  });
});
