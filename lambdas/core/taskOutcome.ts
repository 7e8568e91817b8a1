import { JobStatus } from './jobStatus.ts';
import { TaskStopCause, type StoredJob, type TaskUpdate } from './ports.ts';
import { isRetryableExit, retryDelaySeconds } from './retryPolicy.ts';
import { CANCEL_STOP_REASON, TIMEOUT_STOP_REASON } from './taskSpec.ts';

/** How an attempt that failed for the infrastructure's sake is marked, in its reason and the job's error. */
export const INFRASTRUCTURE_PREFIX = 'infrastructure: ';
/** Waits before each retry of a task that failed to start; after the last, the job fails. */
export const INFRASTRUCTURE_RETRY_DELAYS: readonly number[] = [15, 60, 180];

/** What a stopped task means for its job: its final state, or a retry. */
export interface StoppedOutcome {
  status: JobStatus;
  exitCode: number | null;
  /** The attempt's reason and the job's error; null for a success. */
  error: string | null;
  /** Set when the job goes back to the queue for another attempt. */
  retry?: {
    delaySeconds: number;
    /** Shown on the queued job: why it waits. */
    waitingReason: string;
    /** An infrastructure retry: does not use up the job's own attempts. */
    extraAttempt: boolean;
  };
}

/**
 * Reads a stopped task's update against its job: pure, so every rule of how a job ends or is
 * retried is here and tested without I/O. Attempts whose program ran count against the job's
 * retry policy; infrastructure failures (the program never started, for a reason that may pass)
 * are retried on their own path and do not use them up.
 */
export function stoppedOutcome(
  job: StoredJob,
  update: TaskUpdate,
  random: () => number = Math.random,
): StoppedOutcome {
  const exitCode = typeof update.exitCode === 'number' ? update.exitCode : null;
  const cause = update.cause ?? TaskStopCause.Lost;
  const reason = update.reason ?? 'task stopped';
  const end = (status: JobStatus, error: string | null): StoppedOutcome => ({ status, exitCode, error });

  if (job.cancelRequested || reason.startsWith(CANCEL_STOP_REASON))
    return end(JobStatus.Cancelled, 'cancelled');
  if (reason.startsWith(TIMEOUT_STOP_REASON))
    return end(JobStatus.TimedOut, `timed out after ${job.timeoutSeconds}s`);
  if (cause === TaskStopCause.OutOfMemory)
    return withRetry(job, end(JobStatus.Failed, outOfMemory(exitCode)), random);
  if (exitCode === 0) return end(JobStatus.Succeeded, null);
  if (exitCode !== null) return withRetry(job, end(JobStatus.Failed, `exited with code ${exitCode}`), random);
  if (cause === TaskStopCause.StartFailed) return end(JobStatus.Failed, `task did not run: ${reason}`);
  // Only a task that surely never started the program may be retried on the infrastructure's path:
  // a task that vanished may have run, and running a job twice by mistake is worse than failing it.
  if (cause !== TaskStopCause.Infrastructure)
    return end(JobStatus.Failed, `task stopped without an exit code: ${reason}`);

  const error = `${INFRASTRUCTURE_PREFIX}task did not run: ${reason}`;
  const used = job.attempts.filter(
    (a) => a.attempt !== job.attempt && (a.reason ?? '').startsWith(INFRASTRUCTURE_PREFIX),
  ).length;
  const delaySeconds = INFRASTRUCTURE_RETRY_DELAYS[used];
  if (delaySeconds === undefined) return end(JobStatus.Failed, error);
  return {
    ...end(JobStatus.Failed, error),
    retry: {
      delaySeconds,
      waitingReason: `retrying in ${delaySeconds}s (infrastructure retry ${used + 1} of ${INFRASTRUCTURE_RETRY_DELAYS.length}): the task did not run: ${reason}`,
      extraAttempt: true,
    },
  };
}

function outOfMemory(exitCode: number | null): string {
  return `out of memory: the program was killed for using more memory than the job may${
    exitCode !== null ? ` (exit code ${exitCode})` : ''
  }`;
}

/** A failed attempt whose program ran is retried while the job's retry policy allows it. */
function withRetry(job: StoredJob, outcome: StoppedOutcome, random: () => number): StoppedOutcome {
  const infra = job.attempts.filter((a) => (a.reason ?? '').startsWith(INFRASTRUCTURE_PREFIX)).length;
  const ran = job.attempts.length - infra;
  if (outcome.exitCode === null || ran >= job.maxAttempts - infra) return outcome;
  if (!isRetryableExit(job.retry, outcome.exitCode)) return outcome;
  const delaySeconds = retryDelaySeconds(job.retry, ran, random);
  return {
    ...outcome,
    retry: {
      delaySeconds,
      waitingReason: `retrying in ${delaySeconds}s (attempt ${job.attempt + 1} of ${job.maxAttempts}): attempt ${job.attempt} ${outcome.error}`,
      extraAttempt: false,
    },
  };
}
