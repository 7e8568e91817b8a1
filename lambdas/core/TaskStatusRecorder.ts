import { TransitionConflictError } from './errors.ts';
import { ACTIVE_STATUSES, JobStatus } from './jobStatus.ts';
import type { Clock, DispatchQueue, JobStore, StoredJob, TaskUpdate } from './ports.ts';
import { isRetryableExit, retryDelaySeconds } from './retryPolicy.ts';
import type { Attempt } from './schemas.ts';
import { CANCEL_STOP_REASON, TIMEOUT_STOP_REASON } from './taskSpec.ts';

/**
 * Records what tasks report about themselves. Every change is a conditional write on the job's
 * status and attempt, so duplicate and out-of-order events change nothing: a `running` that comes
 * after `stopped` finds the job final and is dropped.
 */
export class TaskStatusRecorder {
  constructor(
    private readonly deps: { jobs: JobStore; queue: DispatchQueue; clock: Clock; random?: () => number },
  ) {}

  async record(update: TaskUpdate): Promise<'recorded' | 'ignored'> {
    const job = await this.deps.jobs.get(update.jobId);
    if (!job || job.attempt !== update.attempt || !ACTIVE_STATUSES.includes(job.status)) return 'ignored';
    if (job.taskId !== null && job.taskId !== update.taskId) return 'ignored';
    try {
      if (update.state === 'running') return await this.markRunning(job, update);
      return await this.markStopped(job, update);
    } catch (err) {
      if (err instanceof TransitionConflictError) return 'ignored';
      throw err;
    }
  }

  private async markRunning(job: StoredJob, update: TaskUpdate): Promise<'recorded' | 'ignored'> {
    if (job.status !== JobStatus.Starting) return 'ignored';
    const startedAt = (update.startedAt ?? update.at).toISOString();
    await this.deps.jobs.update(
      job.id,
      { status: [JobStatus.Starting], attempt: job.attempt },
      {
        status: JobStatus.Running,
        taskId: update.taskId,
        startedAt: job.startedAt ?? startedAt,
        updatedAt: this.deps.clock.now().toISOString(),
        attempts: patchAttempt(job, { taskId: update.taskId, status: JobStatus.Running, startedAt }),
      },
    );
    return 'recorded';
  }

  private async markStopped(job: StoredJob, update: TaskUpdate): Promise<'recorded' | 'ignored'> {
    const now = this.deps.clock.now().toISOString();
    const finishedAt = update.at.toISOString();
    const exitCode = typeof update.exitCode === 'number' ? update.exitCode : null;
    const { status, error } = outcome(job, update, exitCode);
    const attempts = patchAttempt(job, {
      taskId: update.taskId,
      status,
      exitCode,
      finishedAt,
      reason: error,
      ...(update.startedAt ? { startedAt: update.startedAt.toISOString() } : {}),
    });
    const condition = { status: ACTIVE_STATUSES, attempt: job.attempt };

    const delay = this.retryDelay(job, status, exitCode, attempts);
    if (delay !== undefined) {
      // Send before the write: if we crash between the two, the event is redelivered and both happen
      // again (the extra message finds the attempt already moved on and is dropped).
      await this.deps.queue.send({ jobId: job.id, attempt: job.attempt + 1 }, delay);
      await this.deps.jobs.update(job.id, condition, {
        status: JobStatus.Queued,
        taskId: null,
        exitCode,
        error,
        runAt: new Date(Date.parse(now) + delay * 1000).toISOString(),
        updatedAt: now,
        attempts,
      });
      return 'recorded';
    }

    await this.deps.jobs.update(job.id, condition, {
      status,
      taskId: update.taskId,
      exitCode,
      error,
      finishedAt,
      updatedAt: now,
      startedAt: job.startedAt ?? update.startedAt?.toISOString() ?? null,
      attempts,
    });
    return 'recorded';
  }

  /**
   * Seconds until the next attempt, or undefined when the job ends here. Attempts that ran count
   * against the job's retry policy; infrastructure failures (the task never ran, for a reason that
   * may pass, such as a pull timeout or no capacity) follow their own path and do not use them up.
   */
  private retryDelay(job: StoredJob, status: JobStatus, exitCode: number | null, attempts: Attempt[]) {
    if (status !== JobStatus.Failed) return undefined;
    const infra = attempts.filter(isInfrastructureFailure).length;
    if (exitCode === null) {
      const current = attempts.find((a) => a.attempt === job.attempt);
      if (!current || !isInfrastructureFailure(current)) return undefined;
      return INFRASTRUCTURE_RETRY_DELAYS[infra - 1];
    }
    const ran = attempts.length - infra;
    if (ran >= job.maxAttempts || !isRetryableExit(job.retry, exitCode)) return undefined;
    return retryDelaySeconds(job.retry, ran, this.deps.random);
  }
}

/** How an attempt that failed for the infrastructure's sake is marked, in its reason and the job's error. */
export const INFRASTRUCTURE_PREFIX = 'infrastructure: ';
/** Waits before each retry of a task that failed to start; after the last, the job fails. */
export const INFRASTRUCTURE_RETRY_DELAYS: readonly number[] = [15, 60, 180];

function isInfrastructureFailure(attempt: Attempt): boolean {
  return attempt.exitCode === null && (attempt.reason ?? '').startsWith(INFRASTRUCTURE_PREFIX);
}

/** Reasons a task can fail to start that will not pass by waiting: no point retrying them. */
const PERMANENT_START_FAILURE =
  /not found|manifest unknown|pull access denied|repository does not exist|invalid reference/i;

function outcome(
  job: StoredJob,
  update: TaskUpdate,
  exitCode: number | null,
): { status: JobStatus; error: string | null } {
  const reason = update.reason ?? update.stopCode ?? 'task stopped';
  if (job.cancelRequested || reason.startsWith(CANCEL_STOP_REASON))
    return { status: JobStatus.Cancelled, error: 'cancelled' };
  if (reason.startsWith(TIMEOUT_STOP_REASON))
    return { status: JobStatus.TimedOut, error: `timed out after ${job.timeoutSeconds}s` };
  if (exitCode === 0) return { status: JobStatus.Succeeded, error: null };
  if (exitCode !== null) return { status: JobStatus.Failed, error: `exited with code ${exitCode}` };
  // Only a task that surely never started the program may be retried on the infrastructure's path:
  // a task that vanished may have run, and running a job twice by mistake is worse than failing it.
  if (update.stopCode !== 'TaskFailedToStart')
    return { status: JobStatus.Failed, error: `task stopped without an exit code: ${reason}` };
  if (PERMANENT_START_FAILURE.test(reason))
    return { status: JobStatus.Failed, error: `task did not run: ${reason}` };
  return { status: JobStatus.Failed, error: `${INFRASTRUCTURE_PREFIX}task did not run: ${reason}` };
}

function patchAttempt(job: StoredJob, patch: Partial<Attempt>): Attempt[] {
  return job.attempts.map((a) => (a.attempt === job.attempt ? { ...a, ...patch } : a));
}
