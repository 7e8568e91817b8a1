import { ConcurrencyGate } from '../core/ConcurrencyGate.ts';
import { allObservers } from '../core/deliveryObserver.ts';
import type { JobObserver } from '../core/ports.ts';
import { WRAPPED, withJobMetrics } from './jobMetrics.ts';
import type { Runtime } from './runtime.ts';

/** Marks an observer withJobObservers built, so a runtime wrapped twice releases a slot once. */
const OBSERVED = Symbol('withJobObservers');

/**
 * The runtime with what must hear every job transition, whichever function made it: all that
 * withJobMetrics adds (the JobsFinished metric unless the runtime brings its own observer, the
 * waking of dependents, webhook deliveries) and the release of the attempt's
 * concurrency slot. Every handler that can end an attempt (api, dispatcher, status, reconciler)
 * wraps its runtime with this.
 */
export function withJobObservers<
  R extends Pick<Runtime, 'jobs' | 'workers' | 'slots' | 'queue' | 'clock' | 'observer'> &
    Partial<Pick<Runtime, 'deliveryQueue'>>,
>(runtime: R): R & { observer: JobObserver } {
  if (runtime.observer && OBSERVED in runtime.observer) return { ...runtime, observer: runtime.observer };
  const withMetrics = withJobMetrics(runtime);
  const slots = new ConcurrencyGate(runtime).observer();
  const observer = allObservers(withMetrics.observer, slots);
  // Marked for withJobMetrics too: wrapping this again must not add dependents or webhooks twice.
  return { ...runtime, observer: Object.assign(observer, { [OBSERVED]: true, [WRAPPED]: true }) };
}
