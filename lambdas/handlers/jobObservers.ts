import { ConcurrencyGate } from '../core/ConcurrencyGate.ts';
import type { JobObserver, JobTransitionEvent, StoredJob } from '../core/ports.ts';
import { jobMetricsObserver } from './jobMetrics.ts';
import type { Runtime } from './runtime.ts';

/**
 * The runtime with what must hear every job transition, whichever function made it: the
 * JobsFinished metric (unless the runtime brings its own observer) and the release of the
 * attempt's concurrency slot. Every handler that can end an attempt (api, dispatcher, status,
 * reconciler, schedule-fire) wraps its runtime with this.
 */
export function withJobObservers<
  R extends Pick<Runtime, 'jobs' | 'workers' | 'slots' | 'queue' | 'clock' | 'observer'>,
>(runtime: R): R & { observer: JobObserver } {
  const slots = new ConcurrencyGate(runtime).observer();
  return { ...runtime, observer: combineObservers(runtime.observer ?? jobMetricsObserver(), slots) };
}

/** Calls each observer in turn; one that fails is reported and does not keep the next from hearing. */
export function combineObservers(...observers: JobObserver[]): JobObserver {
  const each = async (name: string, call: (o: JobObserver) => Promise<void> | void | undefined) => {
    for (const observer of observers) {
      try {
        await call(observer);
      } catch (err) {
        console.error(`job observer failed on ${name}:`, err);
      }
    }
  };
  return {
    onTransition: (event: JobTransitionEvent) => each('transition', (o) => o.onTransition?.(event)),
    onAttemptEnded: (job: StoredJob) => each('attempt end', (o) => o.onAttemptEnded?.(job)),
    onFinished: (job: StoredJob) => each('finish', (o) => o.onFinished?.(job)),
  };
}
