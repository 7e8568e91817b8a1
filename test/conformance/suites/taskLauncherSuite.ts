import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RetryLaterError } from '../../../lambdas/core/errors.ts';
import type { TaskLauncher, TaskSpec, TaskUpdate } from '../../../lambdas/core/ports.ts';
import { newJobId } from '../../../lambdas/core/ids.ts';
import type { Worker } from '../../../lambdas/core/schemas.ts';
import { CANCEL_STOP_REASON, clientTokenFor, runlaterEnv } from '../../../lambdas/core/taskSpec.ts';
import { workerFixture } from '../../support/fixtures.ts';
import { waitFor } from '../../support/waitFor.ts';

/** What a job's program does, for the suite: exit with a code, run until stopped, or have no image. */
export type Program = { exit: number } | 'runs' | 'no-image';

/** What a launcher implementation gives the suite. */
export interface TaskLauncherSubject {
  launcher: TaskLauncher;
  /** A fresh attempt's spec whose program does `program`. */
  spec(program: Program): TaskSpec;
  /** Every task update the launcher's tasks reported so far, as the status handler receives them. */
  updates: TaskUpdate[];
  /** A launcher of the same kind whose backend cannot take a task now (unreachable, throttling). */
  unavailable(): TaskLauncher;
  close(): Promise<void>;
}

/** A fresh attempt of a fresh job on `worker`. */
export function attemptSpec(worker: Partial<Worker>, env: Record<string, string> = {}): TaskSpec {
  const jobId = newJobId();
  return {
    clientToken: clientTokenFor(jobId, 1),
    jobId,
    attempt: 1,
    worker: workerFixture(worker),
    env: { ...env, ...runlaterEnv(jobId, 1) },
    stdin: { bytes: 0, inlineBase64: '' },
    timeoutSeconds: 60,
  };
}

/**
 * The TaskLauncher contract the core relies on: one task per client token, every end reported as
 * a backend-neutral update that says why, describe() agreeing with the reports, stop() and
 * describe() calm about unknown tasks, and "not now" as RetryLaterError, never a failure.
 */
export function taskLauncherConformance(name: string, open: () => Promise<TaskLauncherSubject>): void {
  describe(`TaskLauncher conformance: ${name}`, () => {
    let subject: TaskLauncherSubject;
    before(async () => {
      subject = await open();
    });
    after(() => subject.close());

    const update = (taskId: string, state: TaskUpdate['state']) =>
      waitFor(() => subject.updates.find((u) => u.taskId === taskId && u.state === state), {
        timeoutMs: 30_000,
        message: `the ${state} update of ${taskId}`,
      });

    it("reports a program's exit with its code, for its job and attempt; describe() agrees", async () => {
      const spec = subject.spec({ exit: 3 });
      const { taskId } = await subject.launcher.launch(spec);
      const stopped = await update(taskId, 'stopped');
      assert.equal(stopped.jobId, spec.jobId);
      assert.equal(stopped.attempt, spec.attempt);
      assert.equal(stopped.exitCode, 3);
      assert.equal(stopped.cause, 'exited');
      const started = stopped.phases?.startedAt;
      if (started) assert.ok(stopped.at >= started, 'it stopped after it started');
      const described = await subject.launcher.describe(taskId);
      assert.equal(described?.state, 'stopped');
      assert.equal(described?.exitCode, 3);
      assert.equal(described?.cause, 'exited');
    });

    it('starts one task for one client token, however often and however concurrently launched', async () => {
      const spec = subject.spec({ exit: 0 });
      const ids = await Promise.all([1, 2, 3].map(() => subject.launcher.launch(spec)));
      assert.equal(new Set(ids.map((i) => i.taskId)).size, 1);
      const { taskId } = ids[0]!;
      await update(taskId, 'stopped');
      assert.deepEqual(await subject.launcher.launch(spec), { taskId }, 'a relaunch after the end');
      assert.equal(subject.updates.filter((u) => u.taskId === taskId && u.state === 'stopped').length, 1);
    });

    it('stops a running task on request, reported as stopped by request with the reason', async () => {
      const { taskId } = await subject.launcher.launch(subject.spec('runs'));
      const running = await update(taskId, 'running');
      assert.equal(running.taskId, taskId);
      assert.equal((await subject.launcher.describe(taskId))?.state, 'running');
      await subject.launcher.stop(taskId, CANCEL_STOP_REASON);
      const stopped = await update(taskId, 'stopped');
      assert.equal(stopped.cause, 'stopped-by-request');
      assert.ok(stopped.reason?.startsWith(CANCEL_STOP_REASON), stopped.reason);
      assert.equal((await subject.launcher.describe(taskId))?.cause, 'stopped-by-request');
    });

    it('reports a task whose image does not exist as not run, with the reason, and no exit code', async () => {
      const { taskId } = await subject.launcher.launch(subject.spec('no-image'));
      const stopped = await update(taskId, 'stopped');
      assert.equal(stopped.exitCode, null);
      // "No such image" is the job's fault; a registry out of reach may pass: neither ran the program.
      assert.ok(['start-failed', 'infrastructure'].includes(stopped.cause!), stopped.cause);
      assert.ok((stopped.reason ?? '').length > 0);
    });

    it('ignores stop() of a task it does not know, and describes it as gone', async () => {
      const unknown = subject.spec({ exit: 0 });
      const taskId = `${unknown.jobId}-never-launched`;
      await subject.launcher.stop(taskId, CANCEL_STOP_REASON);
      assert.equal(await subject.launcher.describe(taskId), undefined);
    });

    it('answers RetryLaterError when its backend cannot take the task now', async () => {
      await assert.rejects(subject.unavailable().launch(subject.spec({ exit: 0 })), RetryLaterError);
    });
  });
}
