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

export const FINAL_STATUSES = [
  JobStatus.Succeeded,
  JobStatus.Failed,
  JobStatus.TimedOut,
  JobStatus.Cancelled,
] as const;
export type FinalStatus = (typeof FINAL_STATUSES)[number];

/** States in which a job may hold a task (launched or being launched). */
export const ACTIVE_STATUSES: readonly JobStatus[] = [JobStatus.Starting, JobStatus.Running];

export function isFinal(status: JobStatus): status is FinalStatus {
  return (FINAL_STATUSES as readonly JobStatus[]).includes(status);
}
