import { arrayEnv } from './arrays.ts';
import type { StoredJob, TaskSpec } from './ports.ts';
import type { Worker } from './schemas.ts';

/** The env every attempt sees on top of the worker's and the job's own. */
export function runlaterEnv(jobId: string, attempt: number): Record<string, string> {
  return { RUNLATER_JOB_ID: jobId, RUNLATER_ATTEMPT: String(attempt) };
}

/** The idempotency token of one attempt: launching it twice starts one task. */
export function clientTokenFor(jobId: string, attempt: number): string {
  return `${jobId}-${attempt}`;
}

/**
 * `startedBy` marks a task with its job and attempt. RunTask allows up to 128 letters, digits,
 * hyphens, slashes and underscores (STARTED_BY_CHARS): no dot.
 */
export function startedByFor(jobId: string, attempt: number): string {
  return `${jobId}_${attempt}`;
}
export const STARTED_BY_CHARS = /^[A-Za-z0-9/_-]{1,128}$/;

export function parseStartedBy(
  startedBy: string | undefined,
): { jobId: string; attempt: number } | undefined {
  const m = /^([0-9a-z]{26}(?:-\d+)?)_(\d+)$/.exec(startedBy ?? '');
  return m ? { jobId: m[1]!, attempt: Number(m[2]) } : undefined;
}

export function buildTaskSpec(worker: Worker, job: StoredJob): TaskSpec {
  return {
    clientToken: clientTokenFor(job.id, job.attempt),
    jobId: job.id,
    attempt: job.attempt,
    worker,
    env: {
      ...job.env,
      ...runlaterEnv(job.id, job.attempt),
      ...(job.arrayIndex !== undefined && job.arraySize !== undefined
        ? arrayEnv(job.arrayIndex, job.arraySize)
        : {}),
    },
    stdin: job.stdin,
    timeoutSeconds: job.timeoutSeconds,
  };
}

/** The container's whole environment: worker env, then the job's (it wins), then RUNLATER_*. */
export function containerEnvironment(spec: TaskSpec): Record<string, string> {
  return { ...spec.worker.env, ...spec.env };
}

/** The stop reason runlater gives when it stops a task for running past its timeout. */
export const TIMEOUT_STOP_REASON = 'runlater: timed out';
export const CANCEL_STOP_REASON = 'runlater: cancelled';
