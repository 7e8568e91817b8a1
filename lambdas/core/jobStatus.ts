/** The states of a job. A job waiting for a retry or a delay is `queued`. */
export const JobStatus = {
  Queued: 'queued',
  Starting: 'starting',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  TimedOut: 'timed_out',
  Cancelled: 'cancelled',
} as const;

export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

export const JOB_STATUSES = Object.values(JobStatus) as [JobStatus, ...JobStatus[]];

export const FINAL_STATUSES: readonly JobStatus[] = [
  JobStatus.Succeeded,
  JobStatus.Failed,
  JobStatus.TimedOut,
  JobStatus.Cancelled,
];

/** States in which a job may hold a task (launched or being launched). */
export const ACTIVE_STATUSES: readonly JobStatus[] = [JobStatus.Starting, JobStatus.Running];

export function isFinal(status: JobStatus): boolean {
  return FINAL_STATUSES.includes(status);
}
