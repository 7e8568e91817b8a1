import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobService } from '../../lambdas/core/JobService.ts';
import { Reconciler } from '../../lambdas/core/Reconciler.ts';
import { TaskStatusRecorder } from '../../lambdas/core/TaskStatusRecorder.ts';
import { WorkerService } from '../../lambdas/core/WorkerService.ts';
import { coreHarness } from '../support/coreHarness.ts';

describe('the reconciler, with more stuck jobs than it reads in one run', () => {
  let h: Awaited<ReturnType<typeof coreHarness>>;
  before(async () => {
    h = await coreHarness();
  });
  after(() => h.close());

  it('looks at the oldest first, so the longest waiting are never skipped', async () => {
    await new WorkerService(h.workers, h.clock).create({ name: 'w', image: 'busybox', timeoutSeconds: 60 });
    const jobsApi = new JobService({
      ...h,
    });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push((await jobsApi.submit({ worker: 'w' })).job.id);
      h.clock.advance(1);
    }
    h.queue.sent = [];
    h.clock.advance(400); // every one of them past stuckAfterSeconds: their messages were lost
    const reconciler = new Reconciler({ ...h, recorder: new TaskStatusRecorder(h) }, { maxJobsPerStatus: 3 });
    await reconciler.run();
    const resent = h.queue.sent.map((s) => s.message.jobId);
    assert.deepEqual(resent.slice(0, 3), ids.slice(0, 3));
  });
});
