import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ConcurrencyGate } from '../../lambdas/core/ConcurrencyGate.ts';
import { Dispatcher } from '../../lambdas/core/Dispatcher.ts';
import { JobService } from '../../lambdas/core/JobService.ts';
import { JobStateMachine, FinishFrom } from '../../lambdas/core/JobStateMachine.ts';
import { Reconciler } from '../../lambdas/core/Reconciler.ts';
import { TaskStatusRecorder } from '../../lambdas/core/TaskStatusRecorder.ts';
import { WorkerService } from '../../lambdas/core/WorkerService.ts';
import { ACTIVE_STATUSES } from '../../lambdas/core/jobStatus.ts';
import { TaskStopCause, type StoredJob } from '../../lambdas/core/ports.ts';
import type { UpdateWorkerRequest } from '../../lambdas/core/schemas.ts';
import { coreHarness } from '../support/coreHarness.ts';

describe("a worker's maxConcurrency and its jobs' priorities (core on dynalite)", () => {
  let h: Awaited<ReturnType<typeof coreHarness>>;
  let deps: Awaited<ReturnType<typeof coreHarness>> & { observer: ReturnType<ConcurrencyGate['observer']> };
  let jobsApi: JobService;
  let workersApi: WorkerService;
  let recorder: TaskStatusRecorder;
  /** Several dispatchers, as several Lambdas would run them, each with its own objects. */
  let dispatchers: Dispatcher[];
  let n = 0;
  let worker = '';
  const logs = { read: async () => ({ lines: [], nextCursor: '' }), deleteOutput: async () => {} };

  before(async () => {
    h = await coreHarness();
    deps = { ...h, observer: new ConcurrencyGate(h).observer() };
    jobsApi = new JobService({ ...deps, logs });
    workersApi = new WorkerService(h.workers, h.clock);
    recorder = new TaskStatusRecorder(deps);
    dispatchers = Array.from({ length: 4 }, () => new Dispatcher({ ...deps }));
  });
  after(() => h.close());

  async function newWorker(settings: Partial<UpdateWorkerRequest> = {}) {
    worker = `cw${++n}`;
    await workersApi.create({ name: worker, image: 'busybox', timeoutSeconds: 60, ...settings });
  }
  beforeEach(() => {
    h.queue.sent = [];
    h.launcher.launches = [];
  });

  /** Delivers every queued message, twice each (queues deliver at least once), all at once across the dispatchers. */
  async function deliverAll(): Promise<void> {
    for (let round = 0; round < 20 && h.queue.sent.length > 0; round++) {
      const batch = h.queue.sent.splice(0);
      await Promise.all(
        [...batch, ...batch].map(({ message }, i) => dispatchers[i % dispatchers.length]!.dispatch(message)),
      );
    }
  }

  async function jobsOf(ids: string[]): Promise<StoredJob[]> {
    return Promise.all(ids.map(async (id) => (await h.jobs.get(id))!));
  }

  async function assertWithinLimit(ids: string[], limit: number): Promise<StoredJob[]> {
    const active = (await jobsOf(ids)).filter((j) => ACTIVE_STATUSES.includes(j.status));
    assert.ok(active.length <= limit, `${active.length} jobs active, limit ${limit}`);
    assert.ok((await h.slots.holders(worker)).length <= limit);
    return active;
  }

  /** Ends the task of each active job as exited 0, as the runner's events would. */
  async function finishActive(active: StoredJob[]): Promise<void> {
    await Promise.all(
      active.map((j) =>
        recorder.record({
          taskId: j.taskId!,
          jobId: j.id,
          attempt: j.attempt,
          state: 'stopped',
          at: h.clock.now(),
          exitCode: 0,
          cause: TaskStopCause.Exited,
        }),
      ),
    );
  }

  it('10 jobs, maxConcurrency 2, 4 dispatchers racing with duplicate messages: never more than 2 active, all succeed', async () => {
    await newWorker({ maxConcurrency: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await jobsApi.submit({ worker })).job.id);
    await deliverAll();
    const first = await assertWithinLimit(ids, 2);
    assert.equal(first.length, 2);
    const held = (await jobsOf(ids)).filter((j) => j.status === 'queued');
    assert.equal(held.length, 8);
    for (const j of held) assert.match(j.waitingReason ?? '', /^waiting: concurrency/);

    for (let step = 0; step < 20; step++) {
      const active = await assertWithinLimit(ids, 2);
      if (active.length === 0) break;
      await finishActive(active);
      await deliverAll();
    }
    const final = await jobsOf(ids);
    assert.deepEqual(
      final.map((j) => j.status),
      ids.map(() => 'succeeded'),
    );
    // Each job launched once: one task per attempt, however many deliveries.
    assert.equal(new Set(h.launcher.launches.map((l) => l.clientToken)).size, 10);
    assert.deepEqual(await h.slots.holders(worker), []);
  });

  it('held-back jobs start highest priority first, oldest first within a priority', async () => {
    await newWorker({ maxConcurrency: 1, priority: 1 });
    const blocker = (await jobsApi.submit({ worker })).job.id;
    await deliverAll();
    const priorities = [0, 5, undefined, -3, 5, 10, 0, -3, undefined];
    const ids: string[] = [];
    for (const priority of priorities)
      ids.push((await jobsApi.submit({ worker, ...(priority !== undefined ? { priority } : {}) })).job.id);
    await deliverAll();
    h.launcher.launches = [];
    let active = await assertWithinLimit([blocker, ...ids], 1);
    for (let step = 0; step < 20 && active.length > 0; step++) {
      await finishActive(active);
      await deliverAll();
      active = await assertWithinLimit([blocker, ...ids], 1);
    }
    // A duplicate delivery launches the same task again (idempotent per attempt): first launches count.
    const started = [...new Set(h.launcher.launches.map((l) => l.jobId))];
    // The worker's default priority (1) fills in for jobs that name none.
    const expected = ids
      .map((id, i) => ({ id, priority: priorities[i] ?? 1, i }))
      .sort((a, b) => b.priority - a.priority || a.i - b.i)
      .map((j) => j.id);
    assert.deepEqual(started, expected);
  });

  it('a slot whose release was lost in a crash is freed by the reconciler, and the held-back job starts', async () => {
    await newWorker({ maxConcurrency: 1 });
    const a = (await jobsApi.submit({ worker })).job.id;
    const b = (await jobsApi.submit({ worker })).job.id;
    await deliverAll();
    assert.equal((await h.jobs.get(b))!.status, 'queued');
    // The job's final write happened, then the process died before its observer gave the slot back.
    const crashed = new JobStateMachine({ jobs: h.jobs, clock: h.clock });
    await crashed.finish((await h.jobs.get(a))!, FinishFrom.Active, {
      status: 'succeeded',
      exitCode: 0,
      reason: null,
      at: h.clock.now(),
    });
    assert.equal((await h.slots.holders(worker)).length, 1);
    const reconciler = new Reconciler({ ...deps, recorder }, { slotGraceSeconds: 60 });
    // A young slot is left alone: its dispatcher may be between taking it and starting the attempt.
    assert.equal((await reconciler.run()).slotsFreed, 0);
    h.clock.advance(61);
    const summary = await reconciler.run();
    assert.equal(summary.slotsFreed, 1);
    await deliverAll();
    assert.equal((await h.jobs.get(b))!.status, 'starting');
    assert.deepEqual(
      (await h.slots.holders(worker)).map((s) => s.holder),
      [`${b}#1`],
    );
  });

  it('a held-back job cancelled leaves the line; raising the limit starts the held-back jobs', async () => {
    await newWorker({ maxConcurrency: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await jobsApi.submit({ worker })).job.id);
    await deliverAll();
    await jobsApi.cancel(ids[1]!);
    assert.deepEqual(
      (await h.jobs.waiting(worker, 10)).map((j) => j.id),
      [ids[2], ids[3]],
    );
    assert.equal((await h.jobs.countActive(worker)).heldBack, 2);

    await workersApi.update(worker, { image: 'busybox', timeoutSeconds: 60, maxConcurrency: 3 });
    assert.equal(await new ConcurrencyGate(deps).wake(worker), 2);
    await deliverAll();
    const statuses = (await jobsOf(ids)).map((j) => j.status);
    assert.deepEqual(statuses, ['starting', 'cancelled', 'starting', 'starting']);
  });

  it('stats count each state from the index, and finished jobs by when they finished', async () => {
    await newWorker({ maxConcurrency: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await jobsApi.submit({ worker })).job.id);
    const delayed = (await jobsApi.submit({ worker, delaySeconds: 600 })).job.id;
    h.queue.sent = h.queue.sent.filter((s) => s.message.jobId !== delayed);
    await deliverAll();
    assert.deepEqual(await h.jobs.countActive(worker), { queued: 3, heldBack: 2, starting: 1, running: 0 });
    await finishActive(await assertWithinLimit(ids, 1));
    await deliverAll();
    await jobsApi.cancel(ids[2]!);
    assert.deepEqual(await h.jobs.countActive(worker), { queued: 1, heldBack: 0, starting: 1, running: 0 });
    const since = new Date(h.clock.now().getTime() - 3600_000);
    assert.deepEqual(await h.jobs.countFinished(worker, since), {
      succeeded: 1,
      failed: 0,
      timed_out: 0,
      cancelled: 1,
    });
    h.clock.advance(7200);
    const lastHour = await h.jobs.countFinished(worker, new Date(h.clock.now().getTime() - 3600_000));
    assert.equal(lastHour.succeeded + lastHour.cancelled, 0);
  });
});
