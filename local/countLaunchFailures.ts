import { RetryLaterError } from '../lambdas/core/errors.ts';
import type { TaskLauncher } from '../lambdas/core/ports.ts';

/**
 * The launcher, telling `failed` of every launch that fails, by RetryLaterError reason
 * (`throttled`, `capacity`, `unavailable`: the job waits) or `failed`. Every failed try counts,
 * where the job's waitingReason changes only when the reason does.
 */
export function countLaunchFailures(launcher: TaskLauncher, failed: (reason: string) => void): TaskLauncher {
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
