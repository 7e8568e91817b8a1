import { RetryLaterError } from '../lambdas/core/errors.ts';
import { FINAL_STATUSES } from '../lambdas/core/jobStatus.ts';
import type { JobCondition, JobStore, StoredJob, TaskLauncher } from '../lambdas/core/ports.ts';

export type TransitionObserver = (job: StoredJob, from: string | undefined) => void;

/**
 * The job store, telling `observe` of every change of a job's status it writes. Every transition
 * is one conditional write of the store (ports.ts), so this sees them all without the core knowing.
 * An observer that throws must not fail the transition that already happened: it is only logged.
 */
export function observeJobStore(store: JobStore, observe: TransitionObserver): JobStore {
  // The status each job was last seen in, for `from`; a job is forgotten once final. A job from
  // before a restart is not here: its condition's statuses stand in (`starting|running`).
  const last = new Map<string, string>();
  const tell = (job: StoredJob, from: string | undefined) => {
    if (FINAL_STATUSES.includes(job.status)) last.delete(job.id);
    else last.set(job.id, job.status);
    try {
      observe(job, from);
    } catch (err) {
      console.error('runlater dev: a transition observer failed:', err);
    }
  };
  return {
    create: async (job) => {
      await store.create(job);
      tell(job, undefined);
    },
    get: (id) => store.get(id),
    list: (query) => store.list(query),
    claimIdempotencyKey: (key, claim) => store.claimIdempotencyKey(key, claim),
    update: async (id: string, condition: JobCondition, patch: Partial<StoredJob>) => {
      const job = await store.update(id, condition, patch);
      // A write that leaves the status as it was (a task id, an exit code) is no transition.
      const [only, ...more] = condition.status;
      const from = last.get(id) ?? (more.length ? condition.status.join('|') : only);
      if (patch.status !== undefined && from !== job.status) tell(job, from);
      return job;
    },
  };
}

/** The launcher, counting the launches that fail (by RetryLaterError reason, else `failed`). */
export function observeLaunches(launcher: TaskLauncher, failed: (reason: string) => void): TaskLauncher {
  return {
    launch: async (spec) => {
      try {
        return await launcher.launch(spec);
      } catch (err) {
        failed(err instanceof RetryLaterError ? err.reason : 'failed');
        throw err;
      }
    },
    stop: (taskId, reason) => launcher.stop(taskId, reason),
    describe: (taskId) => launcher.describe(taskId),
  };
}
