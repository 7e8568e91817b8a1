import type { JobWatch, JobWatcher } from '../../core/ports.ts';

/**
 * Wakes a long-poll when its job's state changes, on one machine where every transition passes
 * the runtime's observer (`runlater dev`): the waiter then reads the store again, exactly as the
 * polling watcher's waiter does on AWS. It still reads again every `fallbackMs` without a signal,
 * so a change made some other way (a job deleted) is seen within that time all the same.
 */
export class NotifiedJobWatcher implements JobWatcher {
  private readonly listeners = new Map<string, Set<() => void>>();

  constructor(private readonly fallbackMs = 1000) {}

  /** Call after every write of a job's state (the dev server's observer does, on each transition). */
  notify(jobId: string): void {
    for (const listener of this.listeners.get(jobId) ?? []) listener();
  }

  watch(jobId: string): JobWatch {
    // A signal that came while nobody waited (between a read and the next wait) is kept for it.
    let pending = false;
    let wake: (() => void) | undefined;
    const listener = () => {
      if (wake) wake();
      else pending = true;
    };
    const set = this.listeners.get(jobId) ?? new Set();
    set.add(listener);
    this.listeners.set(jobId, set);
    return {
      next: (deadline) => {
        if (pending) {
          pending = false;
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => {
          const timer = setTimeout(
            () => wake?.(),
            Math.max(0, Math.min(this.fallbackMs, deadline - Date.now())),
          );
          wake = () => {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          };
        });
      },
      close: () => {
        wake?.();
        set.delete(listener);
        if (set.size === 0 && this.listeners.get(jobId) === set) this.listeners.delete(jobId);
      },
    };
  }
}
