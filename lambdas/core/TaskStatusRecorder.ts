import { TransitionConflictError } from './errors.ts';
import { ACTIVE_STATUSES, JobStatus } from './jobStatus.ts';
import { FinishFrom, JobStateMachine } from './JobStateMachine.ts';
import type { Clock, DispatchQueue, JobObserver, JobStore, StoredJob, TaskUpdate } from './ports.ts';
import { stoppedOutcome } from './taskOutcome.ts';

/**
 * Records what tasks report about themselves, as backend-neutral TaskUpdates (each runner's
 * adapter makes them from its own events). Every change is a transition of JobStateMachine, a
 * conditional write on the job's status and attempt, so duplicate and out-of-order updates change
 * nothing: a `running` that comes after `stopped` finds the job final and is dropped.
 */
export class TaskStatusRecorder {
  private readonly machine: JobStateMachine;

  constructor(
    private readonly deps: {
      jobs: JobStore;
      queue: DispatchQueue;
      clock: Clock;
      observer?: JobObserver;
      random?: () => number;
    },
  ) {
    this.machine = new JobStateMachine(deps);
  }

  async record(update: TaskUpdate): Promise<'recorded' | 'ignored'> {
    const job = await this.deps.jobs.get(update.jobId);
    if (!job || job.attempt !== update.attempt || !ACTIVE_STATUSES.includes(job.status)) return 'ignored';
    if (job.taskId !== null && job.taskId !== update.taskId) return 'ignored';
    try {
      if (update.state === 'running') {
        if (job.status !== JobStatus.Starting) return 'ignored';
        await this.machine.markRunning(job, {
          taskId: update.taskId,
          startedAt: update.phases?.startedAt ?? update.at,
          ...(update.phases ? { phases: update.phases } : {}),
        });
        return 'recorded';
      }
      await this.stopped(job, update);
      return 'recorded';
    } catch (err) {
      if (err instanceof TransitionConflictError) return 'ignored';
      throw err;
    }
  }

  private async stopped(job: StoredJob, update: TaskUpdate): Promise<void> {
    const outcome = stoppedOutcome(job, update, this.deps.random);
    const end = {
      status: outcome.status,
      exitCode: outcome.exitCode,
      reason: outcome.error,
      at: update.phases?.stoppedAt ?? update.at,
      taskId: update.taskId,
      ...(update.phases ? { phases: update.phases } : {}),
    };
    if (!outcome.retry) {
      await this.machine.finish(job, FinishFrom.Active, end);
      return;
    }
    const { delaySeconds, waitingReason, extraAttempt } = outcome.retry;
    // Send before the write: if we crash between the two, the update is redelivered and both happen
    // again (the extra message finds the attempt already moved on and is dropped).
    await this.deps.queue.send({ jobId: job.id, attempt: job.attempt + 1 }, delaySeconds);
    const runAt = new Date(this.deps.clock.now().getTime() + delaySeconds * 1000);
    await this.machine.requeue(job, { runAt, waitingReason, end, extraAttempt });
  }
}
