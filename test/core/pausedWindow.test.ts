import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DynamoScheduleStore } from '../../lambdas/adapters/dynamodb/DynamoScheduleStore.ts';
import { JobService } from '../../lambdas/core/JobService.ts';
import { systemClock, type ScheduleStore, type ScheduleTrigger } from '../../lambdas/core/ports.ts';
import { ScheduleService } from '../../lambdas/core/ScheduleService.ts';
import type { Schedule } from '../../lambdas/core/schemas.ts';
import { WorkerService } from '../../lambdas/core/WorkerService.ts';
import { LocalScheduleTrigger } from '../../local/LocalScheduleTrigger.ts';
import { coreHarness } from '../support/coreHarness.ts';
import { waitFor } from '../support/waitFor.ts';

/** Issue 9 point 8: a schedule never fires for a time it was paused, across a restart too. */
describe('a paused window stays unfired', () => {
  let h: Awaited<ReturnType<typeof coreHarness>>;
  let store: DynamoScheduleStore;
  let schedules: ScheduleService;
  const trigger: ScheduleTrigger = { apply: async () => {}, remove: async () => {} };

  before(async () => {
    h = await coreHarness();
    store = new DynamoScheduleStore(h.dynamo.doc, h.dynamo.tableNames.schedules);
    const jobs = new JobService({
      ...h,
    });
    schedules = new ScheduleService({ schedules: store, workers: h.workers, trigger, jobs, clock: h.clock });
    await new WorkerService(h.workers, h.clock).create({ name: 'minutely', image: 'busybox' });
  });
  after(() => h.close());

  it('a firing for a paused minute queues nothing once the schedule is resumed', async () => {
    const created = await schedules.create({
      name: 'every-minute',
      worker: 'minutely',
      expression: 'rate(1 minute)',
      timezone: 'UTC',
      paused: false,
    });
    const first = new Date(created.nextRunAt!);
    assert.ok((await schedules.fire('every-minute', first)).jobId);
    h.clock.advance(90);
    await schedules.setPaused('every-minute', true);
    h.clock.advance(300);
    const resumed = await schedules.setPaused('every-minute', false);
    // A trigger that went on from the last firing (as one did after a restart) asks for 3 minutes in.
    const paused = new Date(first.getTime() + 180_000);
    assert.deepEqual(await schedules.fire('every-minute', paused), { skipped: 'paused at that time' });
    assert.ok((await schedules.fire('every-minute', new Date(resumed.nextRunAt!))).jobId);
  });

  it('the local trigger, started after a resume, counts from the resume and not from the last firing', async () => {
    const now = Date.now();
    const minute = 60_000;
    const schedule: Schedule = {
      name: 'resumed-before-restart',
      worker: 'minutely',
      expression: 'rate(1 minute)',
      timezone: 'UTC',
      job: {},
      state: 'enabled',
      createdAt: new Date(now - 10 * minute).toISOString(),
      updatedAt: new Date(now - 90_000).toISOString(),
      nextRunAt: null,
      lastRunAt: new Date(now - 9 * minute).toISOString(),
      lastJobId: null,
      resumedAt: new Date(now - 90_000).toISOString(),
    };
    const fired: string[] = [];
    const local = new LocalScheduleTrigger({
      store: { list: async () => [schedule] } as unknown as ScheduleStore,
      clock: systemClock,
      fire: async (e) => void fired.push(e.scheduledTime),
    });
    await local.start();
    try {
      // Restarted with a firing due: the one it makes is the first after the resume.
      const [at] = await waitFor(() => (fired.length > 0 ? fired : undefined), { timeoutMs: 10_000 });
      assert.ok(Date.parse(at!) >= Date.parse(schedule.resumedAt!), `fired for ${at}, paused then`);
    } finally {
      await local.stop();
    }
  });
});
