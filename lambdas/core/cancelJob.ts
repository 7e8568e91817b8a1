import { JobStatus } from './jobStatus.ts';
import { FinishFrom, type JobStateMachine } from './JobStateMachine.ts';
import type { Clock, StoredJob, TaskLauncher } from './ports.ts';
import { CANCEL_STOP_REASON } from './taskSpec.ts';

/**
 * Cancels a job that has not ended, as it is now: a queued one ends `cancelled` at once and never
 * starts; a starting or running one is marked, its task (if launched yet) asked to stop, and it
 * ends `cancelled` when the stop is reported. Throws TransitionConflictError when the job moved
 * on meanwhile: the caller reads it again (or leaves it, if it ended).
 */
export async function cancelJob(
  deps: { machine: JobStateMachine; launcher: TaskLauncher; clock: Clock },
  job: StoredJob,
  reason = 'cancelled',
): Promise<StoredJob> {
  if (job.status === JobStatus.Queued)
    return deps.machine.finish(job, FinishFrom.Queued, {
      status: JobStatus.Cancelled,
      exitCode: job.exitCode,
      reason,
      at: deps.clock.now(),
    });
  const marked = await deps.machine.requestCancel(job);
  // No task yet: the dispatcher sees the mark when it records the task, and stops it then.
  if (marked.taskId) await deps.launcher.stop(marked.taskId, CANCEL_STOP_REASON);
  return marked;
}
