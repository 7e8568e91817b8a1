import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { allObservers, deliveryObserver } from '../core/deliveryObserver.ts';
import { pipelineObserver } from '../core/pipelines.ts';
import type { DeliveryQueue, DispatchQueue, JobObserver } from '../core/ports.ts';

/** The namespace and metric the dashboard graphs (lib/RunLaterDashboard.ts). */
export const METRICS = {
  namespace: 'runlater',
  service: 'runlater-status',
  jobsFinished: 'JobsFinished',
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

/**
 * The runtime with the JobsFinished metric, the waking of a finished job's dependents (and, when
 * given, the queueing of webhook deliveries and the publishing of job events) on its observer, unless it has an observer already.
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
  if (runtime.observer) return { ...runtime, observer: runtime.observer };
  const { queue, deliveryQueue, events } = runtime;
  return {
    ...runtime,
    observer: allObservers(
      jobMetricsObserver(),
      queue && pipelineObserver(queue),
      deliveryQueue && deliveryObserver(deliveryQueue),
      events,
    ),
  };
}
