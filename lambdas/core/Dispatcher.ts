import { ArrayFanOut, PARENT_CANCELLED, type FanOutOutcome } from './ArrayFanOut.ts';
import { cancelJob } from './cancelJob.ts';
import { ConcurrencyGate } from './ConcurrencyGate.ts';
import { RetryLaterError, TransitionConflictError } from './errors.ts';
import { JobStatus } from './jobStatus.ts';
import { FinishFrom, JobStateMachine } from './JobStateMachine.ts';
import type {
  Clock,
  ConcurrencySlots,
  DispatchMessage,
  DispatchQueue,
  JobObserver,
  JobStore,
  LogReader,
  StdinStore,
  StoredJob,
  TaskLauncher,
  WorkerStore,
} from './ports.ts';
import { Pipelines } from './pipelines.ts';
import { buildTaskSpec, CANCEL_STOP_REASON } from './taskSpec.ts';

export type DispatchOutcome =
  'launched' | 'not-yet' | 'held' | 'stale' | 'worker-gone' | 'waiting' | 'cancelled' | FanOutOutcome;

/**
 * Starts one attempt of a job. Safe to run twice for one message (queues deliver at least once):
 * the move to `starting` is a conditional write, and the launch is idempotent per attempt, so a
 * redelivery after a crash launches the same task, never a second one.
 */
export class Dispatcher {
  private readonly machine: JobStateMachine;
  private readonly gate: ConcurrencyGate;

  constructor(
    private readonly deps: {
      jobs: JobStore;
      workers: WorkerStore;
      launcher: TaskLauncher;
      queue: DispatchQueue;
      slots: ConcurrencySlots;
      clock: Clock;
      logs: LogReader;
      stdin: StdinStore;
      observer?: JobObserver;
    },
    options: { arrayChunk?: number } = {},
  ) {
    this.machine = new JobStateMachine(deps);
    this.pipelines = new Pipelines(deps);
    this.gate = new ConcurrencyGate(deps);
    this.arrays = new ArrayFanOut(deps, this.machine, {
      ...(options.arrayChunk ? { chunk: options.arrayChunk } : {}),
    });
  }

  private readonly pipelines: Pipelines;
  private readonly arrays: ArrayFanOut;

  /** Throws RetryLaterError when the task cannot be started now; the message must then be redelivered. */
  async dispatch(message: DispatchMessage): Promise<DispatchOutcome> {
    const { jobs, clock } = this.deps;
    let job = await jobs.get(message.jobId);
    if (!job) return 'stale';
    // An array parent runs no task: its messages make, cancel and settle its children.
    if (job.array && job.status !== JobStatus.Queued) return this.arrays.advance(job, message);
    if (message.settle) return 'stale';

    if (job.status === JobStatus.Queued && job.attempt === message.attempt - 1) {
      // Queues cap their delay (SQS: 15 minutes); a message that comes early goes back for the rest.
      const early = Math.ceil((Date.parse(job.runAt) - clock.now().getTime()) / 1000);
      if (early > 1) {
        await this.deps.queue.send(message, early);
        return 'not-yet';
      }
      // A job that waits for others starts only once they all succeeded (see Pipelines). This comes
      // before the concurrency limit: a job still waiting must not hold one of its worker's slots.
      const gated = await this.pipelines.gate(job, this.machine);
      if (gated === 'wait') return 'waiting';
      if (gated.status !== JobStatus.Queued) return 'stale';
      job = gated;
      if (job.array) return this.arrays.advance(job, message);
      // A child of a cancelled array never starts (made just as its parent was cancelled).
      if (job.parent !== undefined && (await this.parentCancelled(job.parent))) {
        try {
          await cancelJob({ ...this.deps, machine: this.machine }, job, PARENT_CANCELLED);
        } catch (err) {
          if (!(err instanceof TransitionConflictError)) throw err;
        }
        return 'cancelled';
      }
      // The worker's concurrency limit: without a slot the job stays queued, held back, and is
      // sent again when a slot frees. A worker deleted meanwhile is met (and said) at launch.
      const worker = await this.deps.workers.get(job.worker);
      if (worker && !(await this.gate.admit(job, worker, message.attempt))) return 'held';
      try {
        job = await this.machine.startAttempt(job, message.attempt);
      } catch (err) {
        if (!(err instanceof TransitionConflictError)) throw err;
        const current = (err.current as StoredJob | undefined) ?? job;
        // Cancelled between taking the slot and starting: give it back. (Started by another
        // delivery of this message: the slot is that attempt's, and stays.)
        const started = current.attempt === message.attempt && current.status !== JobStatus.Queued;
        if (worker?.maxConcurrency !== undefined && !started)
          await this.gate.release(current, message.attempt);
        job = current;
      }
    }

    // Also reached on redelivery after a crash between the move to `starting` and the launch.
    if (job.status === JobStatus.Starting && job.attempt === message.attempt && job.taskId === null) {
      return this.launch(job);
    }
    return 'stale';
  }

  private async launch(job: StoredJob): Promise<DispatchOutcome> {
    const { workers, launcher } = this.deps;
    const worker = await workers.get(job.worker);
    if (!worker) {
      await this.fail(job, `worker "${job.worker}" was deleted before the job started`);
      return 'worker-gone';
    }
    let taskId: string;
    try {
      ({ taskId } = await launcher.launch(buildTaskSpec(worker, job)));
    } catch (err) {
      if (err instanceof RetryLaterError) {
        await this.noteWaiting(job, err);
        throw err;
      }
      await this.fail(job, `could not start the task: ${(err as Error).message}`);
      throw err;
    }
    try {
      const recorded = await this.machine.recordTask(job, taskId);
      if (recorded.cancelRequested) await launcher.stop(taskId, CANCEL_STOP_REASON);
    } catch (err) {
      // The task's own events got there first and recorded it: nothing left to do.
      if (!(err instanceof TransitionConflictError)) throw err;
      const current = err.current as StoredJob | undefined;
      if (current?.cancelRequested && current.status !== JobStatus.Cancelled)
        await launcher.stop(taskId, CANCEL_STOP_REASON);
    }
    return 'launched';
  }

  private async parentCancelled(parentId: string): Promise<boolean> {
    const parent = await this.deps.jobs.get(parentId);
    return !parent || parent.cancelRequested;
  }

  /** Tells whoever watches the job why it is still starting; written once per reason, not per try. */
  private async noteWaiting(job: StoredJob, err: RetryLaterError): Promise<void> {
    const reason = `the task cannot be started now (${err.reason}); trying again: ${err.message}`;
    if (job.waitingReason === reason) return;
    try {
      await this.machine.noteWaiting(job, reason);
    } catch (noted) {
      if (!(noted instanceof TransitionConflictError)) throw noted;
    }
  }

  private async fail(job: StoredJob, error: string): Promise<void> {
    try {
      await this.machine.finish(job, FinishFrom.Unlaunched, {
        status: JobStatus.Failed,
        exitCode: null,
        reason: error,
        at: this.deps.clock.now(),
      });
    } catch (err) {
      if (!(err instanceof TransitionConflictError)) throw err;
    }
  }
}
