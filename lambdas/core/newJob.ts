import { JobStatus } from './jobStatus.ts';
import type { StoredJob } from './ports.ts';

/** What a new job is given; the rest of it is how every job starts. */
export type NewJob = Pick<
  StoredJob,
  | 'id'
  | 'worker'
  | 'retry'
  | 'createdAt'
  | 'runAt'
  | 'timeoutSeconds'
  | 'priority'
  | 'env'
  | 'stdin'
  | 'stdinBytes'
  | 'waitingReason'
>;

/**
 * A job as it is first written (JobStateMachine.create): `queued`, no attempt made, nothing run or
 * asked of it yet. A submitted job, a re-run and an array's child all start from here.
 */
export function newJob(job: NewJob): StoredJob {
  return {
    id: job.id,
    worker: job.worker,
    status: JobStatus.Queued,
    attempt: 0,
    maxAttempts: job.retry.maxAttempts,
    exitCode: null,
    error: null,
    createdAt: job.createdAt,
    updatedAt: job.createdAt,
    runAt: job.runAt,
    startedAt: null,
    finishedAt: null,
    timeoutSeconds: job.timeoutSeconds,
    priority: job.priority,
    env: job.env,
    stdinBytes: job.stdinBytes,
    cancelRequested: false,
    waitingReason: job.waitingReason,
    attempts: [],
    stdin: job.stdin,
    retry: job.retry,
    taskId: null,
  };
}
