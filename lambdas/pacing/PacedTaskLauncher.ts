import { RetryLaterError } from '../core/errors.ts';
import type { TaskDescription, TaskLauncher, TaskSpec } from '../core/ports.ts';
import type { LaunchPacer } from './LaunchPacer.ts';

/**
 * A launcher that starts tasks no faster than its pacer allows, and tells the pacer when the
 * service throttled it all the same. Stopping and describing tasks are not paced (other quotas).
 */
export class PacedTaskLauncher implements TaskLauncher {
  constructor(
    private readonly inner: TaskLauncher,
    private readonly pacer: LaunchPacer,
  ) {}

  async launch(spec: TaskSpec): Promise<{ taskId: string }> {
    await this.pacer.acquire();
    try {
      return await this.inner.launch(spec);
    } catch (err) {
      if (err instanceof RetryLaterError && err.reason === 'throttled') this.pacer.throttled();
      throw err;
    }
  }

  stop(taskId: string, reason: string): Promise<void> {
    return this.inner.stop(taskId, reason);
  }

  describe(taskId: string): Promise<TaskDescription | undefined> {
    return this.inner.describe(taskId);
  }
}
