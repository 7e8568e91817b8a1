import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Dispatcher } from '../../lambdas/core/Dispatcher.ts';
import { JobService } from '../../lambdas/core/JobService.ts';
import { JobStatus } from '../../lambdas/core/jobStatus.ts';
import { LIMITS } from '../../lambdas/core/limits.ts';
import type { LogReader } from '../../lambdas/core/ports.ts';
import { WorkerService } from '../../lambdas/core/WorkerService.ts';
import { coreHarness } from '../support/coreHarness.ts';

describe('pipelines on the core: the gate before a dependent job starts', () => {
  let h: Awaited<ReturnType<typeof coreHarness>>;
  let stdoutBytes = 0;
  const logs: LogReader = {
    deleteOutput: async () => {},
    // One partial line of the size asked for, then the end (the cursor stops moving).
    read: async (q) =>
      q.cursor === 'end'
        ? { lines: [], nextCursor: 'end' }
        : {
            lines: [
              {
                stream: 'stdout',
                timestamp: new Date().toISOString(),
                text: 'x'.repeat(stdoutBytes),
                partial: true,
              },
            ],
            nextCursor: 'end',
          },
  };
  let jobs: JobService;
  let dispatcher: Dispatcher;
  before(async () => {
    h = await coreHarness();
    jobs = new JobService({ ...h, logs });
    dispatcher = new Dispatcher({ ...h, logs });
    await new WorkerService(h.workers, h.clock).create({ name: 'w', image: 'busybox' });
  });
  after(() => h.close());

  /** A job that ran and succeeded (its task recorded), as the status recorder would leave it. */
  async function succeeded() {
    const { job } = await jobs.submit({ worker: 'w' });
    await dispatcher.dispatch({ jobId: job.id, attempt: 1 });
    const stored = (await h.jobs.get(job.id))!;
    await h.jobs.update(
      job.id,
      { status: [JobStatus.Starting] },
      {
        status: JobStatus.Succeeded,
        exitCode: 0,
        attempts: stored.attempts.map((a) => ({ ...a, taskId: stored.taskId, status: JobStatus.Succeeded })),
      },
    );
    return job.id;
  }

  it('fills the stdin in from the source stdout, within the limit', async () => {
    stdoutBytes = 5000; // over the inline size: goes to the blob store
    const source = await succeeded();
    const { job } = await jobs.submit({ worker: 'w', stdinFrom: source });
    assert.equal(await dispatcher.dispatch({ jobId: job.id, attempt: 1 }), 'launched');
    const launched = h.launcher.launches.at(-1)!;
    assert.equal(launched.jobId, job.id);
    assert.deepEqual(launched.stdin, { bytes: 5000, blobKey: job.id });
    assert.equal(Buffer.from(h.stdin.blobs.get(job.id)!).toString(), 'x'.repeat(5000));
  });

  it('cancels with a clear error when the stdout is over the stdin limit, starting nothing', async () => {
    stdoutBytes = LIMITS.stdinBytes + 1;
    const source = await succeeded();
    const { job } = await jobs.submit({ worker: 'w', stdinFrom: source });
    const launches = h.launcher.launches.length;
    assert.equal(await dispatcher.dispatch({ jobId: job.id, attempt: 1 }), 'stale');
    const ended = await jobs.get(job.id);
    assert.equal(ended.status, 'cancelled');
    assert.equal(
      ended.error,
      `stdin from job ${source} would be ${LIMITS.stdinBytes + 1} bytes; the limit is ${LIMITS.stdinBytes} bytes`,
    );
    assert.equal(h.launcher.launches.length, launches);
  });

  it('waits while a dependency runs, and is recorded as its dependent', async () => {
    const { job: first } = await jobs.submit({ worker: 'w' });
    const { job } = await jobs.submit({ worker: 'w', after: [first.id] });
    assert.equal(await dispatcher.dispatch({ jobId: job.id, attempt: 1 }), 'waiting');
    assert.deepEqual((await h.jobs.get(first.id))!.dependents, [job.id]);
    assert.equal((await jobs.get(job.id)).waitingReason, `waiting for dependencies: ${first.id}`);
  });
});
