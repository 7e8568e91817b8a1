import { isFinal } from './jobStatus.ts';
import type { JobWatch, JobWatcher } from './ports.ts';
import type { JobStatus } from './jobStatus.ts';

/**
 * Reads a job until it is final or `waitMs` has passed, and returns it as last read: at once if it
 * is final already (or `waitMs` is 0), as soon as it becomes final, else as it is at the end.
 * The watcher only says when to read again; every answer is a fresh read of the store.
 *
 * @example const job = await readUntilFinal(() => jobs.get(id), watcher, id, 20_000)
 */
export async function readUntilFinal<J extends { status: JobStatus }>(
  read: () => Promise<J>,
  watcher: JobWatcher,
  jobId: string,
  waitMs: number,
  now: () => number = Date.now,
): Promise<J> {
  const deadline = now() + Math.max(0, waitMs);
  // Watching starts before the first read: a change between that read and the wait still wakes it.
  const watch: JobWatch = watcher.watch(jobId);
  try {
    let job = await read();
    while (!isFinal(job.status) && now() < deadline) {
      await watch.next(deadline);
      job = await read();
    }
    return job;
  } finally {
    watch.close();
  }
}

/**
 * Polls: each `next` waits a little longer than the one before (from `firstMs`, times 1.5, up to
 * `maxMs`), so a short job is noticed within about a tenth of a second and a long wait costs a
 * read a second. Where nothing can announce a change (the API function on AWS).
 */
export class PollingJobWatcher implements JobWatcher {
  constructor(
    private readonly firstMs = 100,
    private readonly maxMs = 1000,
  ) {}

  watch(): JobWatch {
    let step = this.firstMs;
    let timer: NodeJS.Timeout | undefined;
    let wake: (() => void) | undefined;
    return {
      next: (deadline) =>
        new Promise<void>((resolve) => {
          const ms = Math.max(0, Math.min(step, deadline - Date.now()));
          step = Math.min(this.maxMs, step * 1.5);
          wake = resolve;
          timer = setTimeout(resolve, ms);
        }),
      close: () => {
        clearTimeout(timer);
        wake?.();
      },
    };
  }
}
