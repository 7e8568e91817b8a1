import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { JobObserver } from '../core/ports.ts';

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

/**
 * The runtime with the JobsFinished metric on its observer, unless it has an observer already.
 * Schedule runs wrap theirs with this (they only queue jobs, so end no attempt); every handler
 * that can end an attempt uses withJobObservers (jobObservers.ts), which adds this metric too.
 */
export function withJobMetrics<R extends { observer?: JobObserver }>(
  runtime: R,
): R & { observer: JobObserver } {
  return { ...runtime, observer: runtime.observer ?? jobMetricsObserver() };
}
