import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { allObservers, deliveryObserver } from '../core/deliveryObserver.ts';
import { pipelineObserver } from '../core/pipelines.ts';
import type { DeliveryQueue, DispatchQueue, JobObserver } from '../core/ports.ts';

/** The namespace and metric the dashboard graphs (lib/RunLaterDashboard.ts). */
export const METRICS = {
  namespace: 'runlater',
  service: 'runlater-status',
  jobsFinished: 'JobsFinished',
  /** The dispatcher's own (dimension `service` = dispatcherService). */
  dispatcherService: 'runlater-dispatcher',
  /** A launch put back for later, by `reason`: throttled, capacity, unavailable. */
  dispatchRetried: 'DispatchRetried',
  /** A dispatch that failed for any other reason. */
  dispatchFailed: 'DispatchFailed',
} as const;

/**
 * Counts jobs finished, by status, at the one place a job ends (JobStateMachine.finish), whichever
 * function ended it: the status handler, the dispatcher (a launch that failed), the API (a cancel
 * while queued) or the reconciler. One EMF line on AWS; nothing locally (metrics are disabled).
 */
export function jobMetricsObserver(
  metrics = new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service }),
): JobObserver {
  return {
    onFinished: (job) => {
      const single = metrics.singleMetric();
      single.addDimension('status', job.status);
      single.addMetric(METRICS.jobsFinished, MetricUnit.Count, 1);
    },
  };
}

/** Marks an observer withJobMetrics built, so a runtime wrapped twice wakes and notifies once. */
const WRAPPED = Symbol('withJobMetrics');

/**
 * The runtime with, on its observer, the JobsFinished metric (unless it has an observer of its own:
 * `runlater dev` counts and logs its own), the waking of a finished job's dependents and, when given,
 * the queueing of webhook deliveries and the publishing of job events.
 * Every handler that can end a job (api, dispatcher, status, reconciler, schedule-fire) wraps its
 * runtime with this, so the count is whole whichever function ended the job.
 */
export function withJobMetrics<
  R extends {
    observer?: JobObserver;
    queue?: DispatchQueue;
    deliveryQueue?: DeliveryQueue;
    events?: JobObserver;
  },
>(runtime: R): R & { observer: JobObserver } {
  if (runtime.observer && WRAPPED in runtime.observer) return { ...runtime, observer: runtime.observer };
  const { queue, deliveryQueue, events } = runtime;
  const observer = allObservers(
    runtime.observer ?? jobMetricsObserver(),
    queue && pipelineObserver(queue),
    deliveryQueue && deliveryObserver(deliveryQueue),
    events,
  );
  return { ...runtime, observer: Object.assign(observer, { [WRAPPED]: true }) };
}
