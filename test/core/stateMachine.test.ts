import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { Dispatcher } from '../../lambdas/core/Dispatcher.ts';
import { JobService } from '../../lambdas/core/JobService.ts';
import type { JobObserver, JobTransition, StoredJob } from '../../lambdas/core/ports.ts';
import { TaskStatusRecorder } from '../../lambdas/core/TaskStatusRecorder.ts';
import { WorkerService } from '../../lambdas/core/WorkerService.ts';
import { jobMetricsObserver } from '../../lambdas/handlers/jobMetrics.ts';
import { coreHarness } from '../support/coreHarness.ts';

describe('the job state machine: one place for every transition and every end', () => {
  let h: Awaited<ReturnType<typeof coreHarness>>;
  let jobsApi: JobService;
  let dispatcher: Dispatcher;
  let recorder: TaskStatusRecorder;
  const heard: { transition: JobTransition; from: string; status: string }[] = [];
  const finished: StoredJob[] = [];
  const attemptsEnded: string[] = [];
  let failObserver = false;
  let worker = 0;
  let name = '';

  before(async () => {
    h = await coreHarness();
    const observer: JobObserver = {
      onTransition: ({ transition, from, job }) => {
        if (failObserver) throw new Error('the observer is down');
        heard.push({ transition, from, status: job.status });
      },
      onAttemptEnded: (job) => void attemptsEnded.push(`${job.id}.${job.attempt}`),
      onFinished: (job) => void finished.push(job),
    };
    const deps = {
      ...h,
      observer,
    };
    jobsApi = new JobService(deps);
    dispatcher = new Dispatcher(deps);
    recorder = new TaskStatusRecorder(deps);
  });
  after(() => h.close());
  beforeEach(async () => {
    name = `sm${++worker}`;
    await new WorkerService(h.workers, h.clock).create({ name, image: 'busybox' });
    heard.length = 0;
    finished.length = 0;
    attemptsEnded.length = 0;
    failObserver = false;
  });

  it('a job that runs goes through named transitions, and ends once, through finish', async () => {
    const { job } = await jobsApi.submit({ worker: name });
    await dispatcher.dispatch({ jobId: job.id, attempt: 1 });
    const taskId = `task-${job.id}-1`;
    const base = { taskId, jobId: job.id, attempt: 1, at: h.clock.now() };
    await recorder.record({ ...base, state: 'running' });
    await recorder.record({ ...base, state: 'stopped', exitCode: 0, cause: 'exited' });
    await recorder.record({ ...base, state: 'stopped', exitCode: 0, cause: 'exited' }); // a duplicate
    assert.deepEqual(heard, [
      { transition: 'create', from: 'queued', status: 'queued' },
      { transition: 'startAttempt', from: 'queued', status: 'starting' },
      { transition: 'recordTask', from: 'starting', status: 'starting' },
      { transition: 'markRunning', from: 'starting', status: 'running' },
      { transition: 'finish', from: 'running', status: 'succeeded' },
    ]);
    assert.deepEqual(
      finished.map((j) => [j.id, j.status]),
      [[job.id, 'succeeded']],
    );
    assert.deepEqual(attemptsEnded, [`${job.id}.1`]);
  });

  it('an attempt that is retried ends (for what it held) while its job goes on', async () => {
    await new WorkerService(h.workers, h.clock).create({
      name: `${name}-retry`,
      image: 'busybox',
      retry: { maxAttempts: 2, backoff: [5], jitter: false },
    });
    const { job } = await jobsApi.submit({ worker: `${name}-retry` });
    await dispatcher.dispatch({ jobId: job.id, attempt: 1 });
    const base = { taskId: `task-${job.id}-1`, jobId: job.id, attempt: 1, at: h.clock.now() };
    await recorder.record({ ...base, state: 'stopped', exitCode: 1, cause: 'exited' });
    assert.deepEqual(
      heard.map((e) => e.transition),
      ['create', 'startAttempt', 'recordTask', 'requeue'],
    );
    assert.deepEqual(attemptsEnded, [`${job.id}.1`]);
    assert.deepEqual(finished, []);
  });

  it('a job cancelled while queued ends through finish too', async () => {
    const { job } = await jobsApi.submit({ worker: name, delaySeconds: 60 });
    await jobsApi.cancel(job.id);
    assert.deepEqual(
      finished.map((j) => [j.id, j.status]),
      [[job.id, 'cancelled']],
    );
    assert.deepEqual(attemptsEnded, [], 'no attempt had started');
  });

  it('a job the dispatcher cannot launch ends through finish too', async () => {
    const { job } = await jobsApi.submit({ worker: name });
    await new WorkerService(h.workers, h.clock).delete(name);
    assert.equal(await dispatcher.dispatch({ jobId: job.id, attempt: 1 }), 'worker-gone');
    assert.deepEqual(
      finished.map((j) => [j.id, j.status, j.error]),
      [[job.id, 'failed', `worker "${name}" was deleted before the job started`]],
    );
    assert.deepEqual(attemptsEnded, [`${job.id}.1`]);
  });

  it('an observer that fails does not undo or fail the transition it heard', async () => {
    failObserver = true;
    const { job } = await jobsApi.submit({ worker: name });
    assert.equal((await jobsApi.get(job.id)).status, 'queued');
  });

  it('the JobsFinished metric counts every finished job by status', () => {
    const { counted, observer } = recordingMetricsObserver();
    void observer.onFinished?.({ status: 'cancelled', attempt: 0, attempts: [] } as unknown as StoredJob);
    assert.deepEqual(counted, [{ status: 'cancelled', JobsFinished: 1 }]);
  });

  it('metrics say when an attempt started, how long it waited, started and ran', () => {
    const { counted, observer } = recordingMetricsObserver();
    const attempt = {
      attempt: 1,
      startedAt: '2026-11-26T12:00:03.000Z',
      finishedAt: '2026-11-26T12:00:10.500Z',
      phases: { dispatchedAt: '2026-11-26T12:00:01.250Z' },
    };
    const job = {
      worker: 'w',
      status: 'succeeded',
      runAt: '2026-11-26T12:00:01.000Z',
      attempt: 1,
      attempts: [attempt],
    } as unknown as StoredJob;
    void observer.onTransition?.({ transition: 'markRunning', from: 'starting', job });
    void observer.onFinished?.(job);
    assert.deepEqual(counted, [
      { worker: 'w', JobsStarted: 1, QueueWait: 250, StartLatency: 1750 },
      { status: 'succeeded', JobsFinished: 1, RunDuration: 7500 },
    ]);
  });
});

/** The metrics observer over a Metrics stand-in that keeps each EMF line as a plain record. */
function recordingMetricsObserver() {
  const counted: Record<string, string | number>[] = [];
  const metrics = {
    singleMetric: () => {
      const line: Record<string, string | number> = {};
      counted.push(line);
      return {
        addDimension: (k: string, v: string) => void (line[k] = v),
        addMetric: (m: string, _unit: string, v: number) => void (line[m] = v),
      };
    },
  } as unknown as Metrics;
  return { counted, observer: jobMetricsObserver(metrics) };
}

describe('the core speaks no runner’s words', () => {
  it('no ECS stop code, Docker state or AWS/Docker import in lambdas/core', async () => {
    const dir = join(import.meta.dirname, '../../lambdas/core');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ts'));
    for (const file of files) {
      const code = await readFile(join(dir, file), 'utf8');
      assert.doesNotMatch(
        code,
        /TaskFailedToStart|EssentialContainerExited|UserInitiated|CannotPullContainerError|OOMKilled|stopCode/,
        file,
      );
      assert.doesNotMatch(code, /from '(@aws-sdk\/|dockerode|\.\.\/adapters)/, file);
    }
  });
});
