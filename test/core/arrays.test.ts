import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { arrayObserver } from '../../lambdas/core/ArrayFanOut.ts';
import { countLines, emptyCounts, parentOutcome, splitLines } from '../../lambdas/core/arrays.ts';
import { Dispatcher } from '../../lambdas/core/Dispatcher.ts';
import { ValidationError } from '../../lambdas/core/errors.ts';
import { JobAdmin } from '../../lambdas/core/JobAdmin.ts';
import { JobService } from '../../lambdas/core/JobService.ts';
import { JobStatus } from '../../lambdas/core/jobStatus.ts';
import { Reconciler } from '../../lambdas/core/Reconciler.ts';
import { TaskStatusRecorder } from '../../lambdas/core/TaskStatusRecorder.ts';
import { WorkerService } from '../../lambdas/core/WorkerService.ts';
import { coreHarness } from '../support/coreHarness.ts';

const lines = (text: string) => splitLines(Buffer.from(text)).map((b) => b.toString());

describe('array stdin split into lines', () => {
  it('keeps each line with its newline, and a last line without one as it is', () => {
    assert.deepEqual(lines('a\nb\n'), ['a\n', 'b\n']);
    assert.deepEqual(lines('a\nb'), ['a\n', 'b']);
  });
  it('counts an empty line as a line, and empty stdin as none', () => {
    assert.deepEqual(lines('a\n\n'), ['a\n', '\n']);
    assert.deepEqual(lines('\n'), ['\n']);
    assert.deepEqual(lines(''), []);
  });
  it('keeps CRLF line ends as they are: the lines put together are the stdin, byte for byte', () => {
    const input = Buffer.from('one\r\ntwo\r\n\xff\x00three');
    assert.deepEqual(lines('one\r\ntwo\r\n'), ['one\r\n', 'two\r\n']);
    assert.deepEqual(Buffer.concat(splitLines(input)), input);
  });
  it('counts what it splits', () => {
    for (const text of ['', '\n', 'a', 'a\n', 'a\nb', 'a\n\nb\n', '\r\n\r\n'])
      assert.equal(countLines(Buffer.from(text)), lines(text).length, JSON.stringify(text));
  });
});

describe("an array parent's state from its children's", () => {
  const counts = (over: Partial<ReturnType<typeof emptyCounts>>) => ({ ...emptyCounts(), ...over });
  it('waits while a child is unfinished or not made yet', () => {
    assert.equal(parentOutcome(counts({ succeeded: 2, running: 1 }), 3, 3, false), undefined);
    assert.equal(parentOutcome(counts({ succeeded: 2 }), 2, 3, false), undefined);
  });
  it('succeeds when all did, fails when one failed or timed out, even with others cancelled', () => {
    assert.equal(parentOutcome(counts({ succeeded: 3 }), 3, 3, false)?.status, 'succeeded');
    assert.deepEqual(parentOutcome(counts({ succeeded: 1, failed: 1, cancelled: 1 }), 3, 3, false), {
      status: 'failed',
      error: '1 of 3 children failed or timed out (1 succeeded, 1 failed, 1 cancelled)',
    });
    assert.equal(parentOutcome(counts({ succeeded: 2, timed_out: 1 }), 3, 3, false)?.status, 'failed');
    assert.equal(parentOutcome(counts({ succeeded: 2, cancelled: 1 }), 3, 3, false)?.status, 'cancelled');
  });
  it('ends cancelled once cancelled, with children left unmade', () => {
    assert.equal(parentOutcome(counts({ succeeded: 1, cancelled: 1 }), 2, 5, true)?.status, 'cancelled');
    assert.equal(parentOutcome(counts({ running: 1 }), 2, 5, true), undefined);
  });
});

describe('arrays on the core: made in chunks by the dispatcher, settled from the children', () => {
  let h: Awaited<ReturnType<typeof coreHarness>>;
  let jobs: JobService;
  let dispatcher: Dispatcher;
  let recorder: TaskStatusRecorder;
  before(async () => {
    h = await coreHarness();
    const observer = arrayObserver(h.queue);
    jobs = new JobService({ ...h, observer });
    dispatcher = new Dispatcher({ ...h, observer }, { arrayChunk: 4 });
    recorder = new TaskStatusRecorder({ ...h, observer });
    await new WorkerService(h.workers, h.clock).create({ name: 'w', image: 'busybox' });
  });
  after(() => h.close());

  /** Delivers every message sent so far, and those they send, as a queue would (boundedly). */
  async function drain(): Promise<string[]> {
    const outcomes: string[] = [];
    for (let i = 0; i < 1000 && h.queue.sent.length > 0; i++)
      outcomes.push(await dispatcher.dispatch(h.queue.sent.shift()!.message));
    assert.equal(h.queue.sent.length, 0, 'the queue went quiet');
    return outcomes;
  }

  async function stop(jobId: string, exitCode: number) {
    const job = (await h.jobs.get(jobId))!;
    await recorder.record({
      taskId: job.taskId!,
      jobId,
      attempt: job.attempt,
      state: 'stopped',
      at: h.clock.now(),
      exitCode,
      cause: 'exited',
    });
  }

  it('gives child i line i and its index, and makes each child once though a crash made a chunk twice', async () => {
    h.launcher.launches = [];
    const input = 'l0\nl1\r\nl2\n\nl4';
    const { job } = await jobs.submit({ worker: 'w', stdin: input, array: { split: 'lines' } });
    assert.deepEqual(job.array, { size: 5, split: 'lines', created: 0 });
    // The first step dies after making its children, before recording them on the parent (a
    // crash): its message, not deleted, comes again and makes the same chunk, each child once.
    let crashed = false;
    const crashOnce = new Proxy(h.jobs, {
      get(target, name) {
        if (name === 'update')
          return (...args: Parameters<typeof h.jobs.update>) => {
            if (!crashed && args[2].array) {
              crashed = true;
              return Promise.reject(new Error('crash'));
            }
            return target.update(...args);
          };
        const value = Reflect.get(target, name) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const first = h.queue.sent[0]!.message;
    await assert.rejects(
      new Dispatcher({ ...h, jobs: crashOnce, observer: arrayObserver(h.queue) }, { arrayChunk: 4 }).dispatch(
        first,
      ),
      /crash/,
    );
    assert.equal(h.queue.sent.filter((s) => s.message.jobId !== job.id).length, 4, 'four children made');
    await drain();
    const parent = await jobs.get(job.id);
    assert.equal(parent.status, 'running');
    assert.equal(parent.array?.created, 5);
    assert.equal(h.launcher.launches.length, 5, 'one task per child');
    const byIndex = [...h.launcher.launches].sort((a, b) => a.jobId.localeCompare(b.jobId));
    byIndex.forEach((spec, i) => {
      assert.equal(spec.jobId, `${job.id}-${i}`);
      assert.equal(spec.env.RUNLATER_ARRAY_INDEX, String(i));
      assert.equal(spec.env.RUNLATER_ARRAY_SIZE, '5');
      assert.ok('inlineBase64' in spec.stdin);
      assert.equal(Buffer.from(spec.stdin.inlineBase64, 'base64').toString(), lines(input)[i]);
    });
    assert.deepEqual(parent.array?.counts, { ...emptyCounts(), starting: 5 });

    for (let i = 0; i < 5; i++) await stop(`${job.id}-${i}`, 0);
    await drain();
    const done = await jobs.get(job.id);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.array?.counts, { ...emptyCounts(), succeeded: 5 });

    const page1 = await jobs.list({ parent: job.id, limit: 3 });
    assert.deepEqual(
      page1.jobs.map((j) => j.arrayIndex),
      [0, 1, 2],
    );
    const page2 = await jobs.list({ parent: job.id, limit: 3, cursor: page1.nextCursor! });
    assert.deepEqual(
      page2.jobs.map((j) => [j.arrayIndex, j.parent]),
      [
        [3, job.id],
        [4, job.id],
      ],
    );
    assert.equal(page2.nextCursor, undefined);
  });

  it('ends the parent failed when a child failed with no attempts left, once all ended', async () => {
    const { job } = await jobs.submit({ worker: 'w', array: { size: 3 } });
    await drain();
    await stop(`${job.id}-1`, 1);
    await drain();
    assert.equal((await jobs.get(job.id)).status, 'running', 'the others still run');
    await stop(`${job.id}-0`, 0);
    await stop(`${job.id}-2`, 0);
    await drain();
    const done = await jobs.get(job.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.error, '1 of 3 children failed or timed out (2 succeeded, 1 failed)');
    const failed = await jobs.list({ parent: job.id, status: JobStatus.Failed, limit: 10 });
    assert.deepEqual(
      failed.jobs.map((j) => j.id),
      [`${job.id}-1`],
    );
  });

  it('cancelling the parent cancels queued children at once and stops running ones', async () => {
    h.launcher.stops = [];
    const { job } = await jobs.submit({ worker: 'w', array: { size: 6 } });
    // One chunk made (4 children started), the rest not yet made.
    await dispatcher.dispatch(h.queue.sent.shift()!.message);
    for (const { message } of h.queue.sent.filter((m) => m.message.jobId !== job.id))
      await dispatcher.dispatch(message);
    h.queue.sent = h.queue.sent.filter((m) => m.message.jobId === job.id);
    await jobs.cancel(job.id);
    await drain();
    assert.equal(h.launcher.stops.length, 4, 'each started child is stopped');
    for (let i = 0; i < 4; i++) await stop(`${job.id}-${i}`, 137);
    await drain();
    const done = await jobs.get(job.id);
    assert.equal(done.status, 'cancelled');
    assert.equal(done.array?.created, 4, 'no child made after the cancel');
    assert.equal(done.array?.counts?.cancelled, 4);
  });

  it('a parent cancelled while a chunk of its children is being made runs none of them, and ends cancelled', async () => {
    h.launcher.launches = [];
    const { job } = await jobs.submit({ worker: 'w', array: { size: 6 } });
    // The cancel lands after the chunk's children are made and sent, before the parent records
    // them: its record of the chunk then conflicts, and those children are not below `created`.
    let cancelled = false;
    const cancelMidChunk = new Proxy(h.jobs, {
      get(target, name) {
        if (name === 'update')
          return async (...args: Parameters<typeof h.jobs.update>) => {
            if (!cancelled && args[2].array) {
              cancelled = true;
              await jobs.cancel(job.id);
            }
            return target.update(...args);
          };
        const value = Reflect.get(target, name) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await new Dispatcher(
      { ...h, jobs: cancelMidChunk, observer: arrayObserver(h.queue) },
      { arrayChunk: 4 },
    ).dispatch(h.queue.sent.shift()!.message);
    assert.ok(cancelled, 'the cancel came mid-chunk');
    await drain();
    assert.deepEqual(
      h.launcher.launches.filter((l) => l.jobId.startsWith(`${job.id}-`)),
      [],
      'no child of the cancelled parent started',
    );
    const children = await jobs.list({ parent: job.id, limit: 10 });
    assert.equal(children.jobs.length, 4, 'the chunk made before the cancel');
    for (const child of children.jobs) assert.equal(child.status, 'cancelled', child.id);
    const done = await jobs.get(job.id);
    assert.equal(done.status, 'cancelled');
  });

  it('a settle lost in a crash is made up by the reconciler', async () => {
    const { job } = await jobs.submit({ worker: 'w', array: { size: 1 } });
    await drain();
    // The child ends, and its settle message is lost.
    await stop(`${job.id}-0`, 0);
    h.queue.sent = [];
    const reconciler = new Reconciler({ ...h, recorder });
    await reconciler.run();
    await drain();
    assert.equal((await jobs.get(job.id)).status, 'succeeded');
  });

  it('a re-run of a finished parent is a new array; a re-run of a child keeps its index', async () => {
    const { job } = await jobs.submit({ worker: 'w', stdin: 'x\ny\n', array: { split: 'lines' } });
    await drain();
    for (let i = 0; i < 2; i++) await stop(`${job.id}-${i}`, 0);
    await drain();
    h.launcher.launches = [];
    const admin = new JobAdmin({ ...h, observer: arrayObserver(h.queue) });
    const again = await admin.rerun(job.id, {});
    assert.deepEqual(again.array, { size: 2, split: 'lines', created: 0 });
    await drain();
    assert.deepEqual(
      h.launcher.launches
        .map((l) => [
          l.jobId,
          Buffer.from((l.stdin as { inlineBase64: string }).inlineBase64, 'base64').toString(),
        ])
        .sort(),
      [
        [`${again.id}-0`, 'x\n'],
        [`${again.id}-1`, 'y\n'],
      ],
    );
    const child = await admin.rerun(`${job.id}-1`, {});
    assert.equal(child.parent, undefined);
    await drain();
    assert.equal(h.launcher.launches.at(-1)!.env.RUNLATER_ARRAY_INDEX, '1');
  });

  it('an array of 10,000 is one write and one message; each step then makes one chunk', async () => {
    h.queue.sent = [];
    const { job } = await jobs.submit({ worker: 'w', array: { size: 10_000 } });
    assert.deepEqual(
      h.queue.sent.map((s) => s.message),
      [{ jobId: job.id, attempt: 1 }],
    );
    const parent = await jobs.get(job.id);
    assert.equal(parent.array?.counts?.queued, 10_000, 'children not made yet count as queued');
    assert.equal((await jobs.list({ parent: job.id, limit: 10 })).jobs.length, 0);
    // One step with the default chunk: 500 children, each with its message, and the next step's.
    const step = new Dispatcher({ ...h, observer: arrayObserver(h.queue) });
    assert.equal(await step.dispatch(h.queue.sent.shift()!.message), 'fanned-out');
    assert.equal(h.queue.sent.length, 501);
    assert.deepEqual(h.queue.sent.at(-1)!.message, { jobId: job.id, attempt: 1 });
    const after = await jobs.get(job.id);
    assert.equal(after.array?.created, 500);
    assert.equal(after.array?.counts?.queued, 10_000);
    await jobs.cancel(job.id);
    h.queue.sent = [];
  });

  it('refuses what no array can be, naming the field, and stores nothing', async () => {
    await new WorkerService(h.workers, h.clock).create({ name: 'refused', image: 'busybox' });
    const refuse = async (body: Record<string, unknown>, field: string) => {
      await assert.rejects(
        jobs.submit({ worker: 'refused', ...body } as never),
        (err: unknown) => err instanceof ValidationError && err.field === field,
        JSON.stringify(body),
      );
    };
    await refuse({ array: { split: 'lines' } }, 'stdin');
    await refuse({ array: { split: 'lines' }, stdin: '' }, 'stdin');
    await refuse({ array: { split: 'lines' }, stdin: 'x\n'.repeat(10_001) }, 'stdin');
    assert.deepEqual((await h.jobs.list({ worker: 'refused', limit: 10 })).jobs, []);
  });
});
