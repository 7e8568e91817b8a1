import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConflictError, NotFoundError, TransitionConflictError } from '../../../lambdas/core/errors.ts';
import { childId, emptyCounts } from '../../../lambdas/core/arrays.ts';
import { newJobId } from '../../../lambdas/core/ids.ts';
import { JobStatus } from '../../../lambdas/core/jobStatus.ts';
import type { JobStore, StoredJob } from '../../../lambdas/core/ports.ts';
import { DEFAULT_RETRY } from '../../../lambdas/core/retryPolicy.ts';

/** What a store implementation gives the suite: a fresh store, and how to let it go. */
export interface JobStoreSubject {
  store: JobStore;
  close(): Promise<void>;
}

/**
 * The JobStore contract every implementation must keep: what the core's transitions rely on
 * (one conditional write that either applies or reports the job as it is), listing newest first
 * with cursors that cover everything once, and idempotency claims taken once.
 */
export function jobStoreConformance(name: string, open: () => Promise<JobStoreSubject>): void {
  describe(`JobStore conformance: ${name}`, () => {
    let subject: JobStoreSubject;
    let store: JobStore;
    let n = 0;
    before(async () => {
      subject = await open();
      store = subject.store;
    });
    after(() => subject.close());

    /** A job of its own worker, so tests do not see each other's jobs. */
    function job(over: Partial<StoredJob> = {}, at = Date.now()): StoredJob {
      const iso = new Date(at).toISOString();
      return {
        id: newJobId(at),
        worker: `conf-${++n}`,
        status: JobStatus.Queued,
        attempt: 0,
        maxAttempts: 1,
        exitCode: null,
        error: null,
        createdAt: iso,
        updatedAt: iso,
        runAt: iso,
        startedAt: null,
        finishedAt: null,
        timeoutSeconds: 60,
        priority: 0,
        env: { A: 'b' },
        stdinBytes: 1,
        cancelRequested: false,
        waitingReason: null,
        attempts: [],
        stdin: { bytes: 1, inlineBase64: 'eA==' },
        retry: DEFAULT_RETRY,
        taskId: null,
        ...over,
      };
    }

    it('gives back what it was given, and nothing for an unknown id', async () => {
      const j = job({ env: { 'x.y': 'α β', EMPTY: '' } });
      await store.create(j);
      assert.deepEqual(await store.get(j.id), j);
      assert.equal(await store.get(newJobId()), undefined);
    });

    it('refuses a second job with the same id, keeping the first', async () => {
      const j = job();
      await store.create(j);
      await assert.rejects(store.create({ ...j, env: { OTHER: '1' } }), ConflictError);
      assert.deepEqual((await store.get(j.id))?.env, j.env);
    });

    it('applies a write whose condition holds, and returns the job as written', async () => {
      const j = job();
      await store.create(j);
      const written = await store.update(
        j.id,
        { status: [JobStatus.Queued], attempt: 0, taskId: null },
        { status: JobStatus.Starting, attempt: 1, waitingReason: null },
      );
      assert.equal(written.status, JobStatus.Starting);
      assert.equal(written.attempt, 1);
      assert.deepEqual(await store.get(j.id), written);
    });

    for (const [what, condition] of [
      ['status', { status: [JobStatus.Running] }],
      ['attempt', { status: [JobStatus.Queued], attempt: 3 }],
      ['task', { status: [JobStatus.Queued], taskId: 'task-1' }],
    ] as const) {
      it(`changes nothing when the ${what} does not match, and reports the job as it is`, async () => {
        const j = job();
        await store.create(j);
        const err = await store.update(j.id, condition, { status: JobStatus.Failed }).then(
          () => assert.fail('the write applied'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof TransitionConflictError, String(err));
        assert.deepEqual(err.current, j);
        assert.deepEqual(await store.get(j.id), j);
      });
    }

    it('requires no task when the condition says taskId: null', async () => {
      const j = job({ status: JobStatus.Starting, attempt: 1, taskId: 'task-a' });
      await store.create(j);
      await assert.rejects(
        store.update(j.id, { status: [JobStatus.Starting], taskId: null }, { taskId: 'task-b' }),
        TransitionConflictError,
      );
      assert.equal((await store.get(j.id))?.taskId, 'task-a');
    });

    it('of two racing writes with the same condition, exactly one applies', async () => {
      const j = job();
      await store.create(j);
      const results = await Promise.allSettled(
        ['a', 'b', 'c'].map((t) =>
          store.update(
            j.id,
            { status: [JobStatus.Queued], attempt: 0 },
            {
              status: JobStatus.Starting,
              attempt: 1,
              taskId: t,
            },
          ),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results)
        if (r.status === 'rejected') assert.ok(r.reason instanceof TransitionConflictError);
    });

    it('reports a write to an unknown job as not found', async () => {
      await assert.rejects(
        store.update(newJobId(), { status: [JobStatus.Queued] }, { status: JobStatus.Failed }),
        NotFoundError,
      );
    });

    it('lists by worker and status, newest first, and its cursors cover every job once', async () => {
      const worker = `conf-list-${++n}`;
      const base = Date.now() - 60_000;
      const made: StoredJob[] = [];
      for (let i = 0; i < 7; i++) made.push(job({ worker }, base + i * 1000));
      for (const j of made) await store.create(j);
      await store.update(made[2]!.id, { status: [JobStatus.Queued] }, { status: JobStatus.Running });

      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const out = await store.list({ worker, limit: 3, ...(cursor ? { cursor } : {}) });
        assert.ok(out.jobs.length <= 3);
        seen.push(...out.jobs.map((j) => j.id));
        cursor = out.nextCursor;
        if (!cursor) break;
      }
      assert.deepEqual(seen, made.map((j) => j.id).reverse());

      const running = await store.list({ worker, status: JobStatus.Running, limit: 10 });
      assert.deepEqual(
        running.jobs.map((j) => j.id),
        [made[2]!.id],
      );
    });

    it('removes a job only in an allowed status, reporting it as it is otherwise, and an unknown id as not found', async () => {
      const running = job({ status: JobStatus.Running, attempt: 1 });
      await store.create(running);
      await assert.rejects(store.remove(running.id, [JobStatus.Succeeded]), (err: unknown) => {
        assert.ok(err instanceof TransitionConflictError);
        assert.equal((err.current as StoredJob).status, JobStatus.Running);
        return true;
      });
      assert.ok(await store.get(running.id), 'still there');
      const done = job({ status: JobStatus.Succeeded });
      await store.create(done);
      await store.remove(done.id, [JobStatus.Succeeded, JobStatus.Failed]);
      assert.equal(await store.get(done.id), undefined);
      await assert.rejects(store.remove(done.id, [JobStatus.Succeeded]), NotFoundError);
    });

    it('gives an idempotency key to the first claim only, and tells later ones what it was', async () => {
      const key = `conf-key-${++n}`;
      assert.equal(await store.claimIdempotencyKey(key, { jobId: 'j1', requestHash: 'h1' }), undefined);
      assert.deepEqual(await store.claimIdempotencyKey(key, { jobId: 'j2', requestHash: 'h2' }), {
        jobId: 'j1',
        requestHash: 'h1',
      });
    });

    it('appends deliveries onto what the job holds now, and lists jobs with one pending', async () => {
      const j = job();
      await store.create(j);
      const delivery = (id: string) => ({
        id,
        event: 'job.finished' as const,
        url: 'https://example.com/h',
        status: 'pending' as const,
        createdAt: j.createdAt,
        nextAttemptAt: j.createdAt,
        attempts: [],
      });
      await store.update(
        j.id,
        { status: [JobStatus.Queued] },
        { waitingReason: 'a' },
        { deliveries: [delivery('d1')] },
      );
      // A writer holding the job as first read (no deliveries) appends: d1 is kept.
      const written = await store.update(
        j.id,
        { status: [JobStatus.Queued] },
        { waitingReason: 'b' },
        { deliveries: [delivery('d2')] },
      );
      assert.deepEqual(
        written.deliveries?.map((d) => d.id),
        ['d1', 'd2'],
      );
      assert.equal(written.deliveryDue, 'pending');
      const due = async () => {
        const ids: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.list({ deliveryDue: true, limit: 100, ...(cursor ? { cursor } : {}) });
          ids.push(...page.jobs.map((x) => x.id));
          cursor = page.nextCursor;
        } while (cursor);
        return ids;
      };
      assert.ok((await due()).includes(j.id));
      // Clearing the marker takes the job off that list.
      const cleared = await store.update(j.id, { status: [JobStatus.Queued] }, { deliveryDue: undefined });
      assert.equal(cleared.deliveryDue, undefined);
      assert.ok(!(await due()).includes(j.id));
    });

    it('applies a write conditional on updatedAt only while the job is as read', async () => {
      const j = job();
      await store.create(j);
      await store.update(
        j.id,
        { status: [JobStatus.Queued], updatedAt: j.updatedAt },
        { updatedAt: 'later' },
      );
      await assert.rejects(
        store.update(j.id, { status: [JobStatus.Queued], updatedAt: j.updatedAt }, { waitingReason: 'x' }),
        TransitionConflictError,
      );
    });

    it("lists an array's children by index, all or by state, and counts them by state as they change", async () => {
      const parent = job();
      await store.create(parent);
      for (let i = 0; i < 5; i++)
        await store.create(
          job({
            id: childId(parent.id, i),
            worker: parent.worker,
            parent: parent.id,
            arrayIndex: i,
            arraySize: 5,
          }),
        );
      // A status write carries the parent and index, as JobStateMachine sends them.
      for (const i of [1, 3])
        await store.update(
          childId(parent.id, i),
          { status: [JobStatus.Queued] },
          {
            status: JobStatus.Running,
            worker: parent.worker,
            parent: parent.id,
            arrayIndex: i,
            updatedAt: new Date().toISOString(),
          },
        );
      const all: (number | undefined)[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const out = await store.children(parent.id, { limit: 2, created: 5, ...(cursor ? { cursor } : {}) });
        all.push(...out.jobs.map((j) => j.arrayIndex));
        cursor = out.nextCursor;
        if (!cursor) break;
      }
      assert.deepEqual(all, [0, 1, 2, 3, 4]);
      // Only those made so far.
      assert.equal((await store.children(parent.id, { limit: 10, created: 2 })).jobs.length, 2);
      const running = await store.children(parent.id, { status: JobStatus.Running, limit: 1, created: 5 });
      assert.deepEqual(
        running.jobs.map((j) => j.arrayIndex),
        [1],
      );
      const rest = await store.children(parent.id, {
        status: JobStatus.Running,
        limit: 5,
        created: 5,
        cursor: running.nextCursor!,
      });
      assert.deepEqual(
        rest.jobs.map((j) => j.arrayIndex),
        [3],
      );
      const counts = await store.countChildren(parent.id);
      assert.deepEqual(counts, { ...emptyCounts(), queued: 3, running: 2 });
      assert.deepEqual(await store.countChildren(job().id), emptyCounts());
      await assert.rejects(store.children(parent.id, { limit: 2, created: 5, cursor: 'nonsense' }), {
        field: 'cursor',
      });
    });
  });
}
