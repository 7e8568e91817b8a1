import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { arrayObserver } from '../core/ArrayFanOut.ts';
import { allObservers, deliveryObserver } from '../core/deliveryObserver.ts';
import { pipelineObserver } from '../core/pipelines.ts';
import type { DeliveryQueue, DispatchQueue, JobObserver } from '../core/ports.ts';

/** The namespace and metric the dashboard graphs (lib/RunLaterDashboard.ts). */
export const METRICS = {
  namespace: 'runlater',
  service: 'runlater-status',
  jobsFinished: 'JobsFinished',
  /** An attempt's container started (dimension `worker`). */
  jobsStarted: 'JobsStarted',
  /** From when an attempt was due (`runAt`) to when runlater asked for its task, in ms. */
  queueWait: 'QueueWait',
  /** From runlater asking for the task to its container starting (pull included), in ms. */
  startLatency: 'StartLatency',
  /** From an attempt's container start to its end, in ms. */
  runDuration: 'RunDuration',
  /** The dispatcher's own (dimension `service` = dispatcherService). */
  dispatcherService: 'runlater-dispatcher',
  /** A launch put back for later, by `reason`: throttled, capacity, unavailable. */
  dispatchRetried: 'DispatchRetried',
  /** A dispatch that failed for any other reason. */
  dispatchFailed: 'DispatchFailed',
} as const;

type Measure = [name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number];

/**
 * Counts jobs finished, by status, at the one place a job ends (JobStateMachine.finish), whichever
 * function ended it: the status handler, the dispatcher (a launch that failed), the API (a cancel
 * while queued) or the reconciler, with the final attempt's run time. When an attempt's container
 * starts (markRunning), counts the start with its queue wait and start latency from the attempt's
 * phases. One EMF line each on AWS; nothing locally (metrics are disabled).
 */
export function jobMetricsObserver(
  metrics = new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service }),
): JobObserver {
  const emit = (dimension: [string, string], values: Measure[]) => {
    const single = metrics.singleMetric();
    single.addDimension(...dimension);
    for (const [name, unit, value] of values) single.addMetric(name, unit, value);
  };
  return {
    onTransition: ({ transition, job }) => {
      if (transition !== 'markRunning') return;
      const attempt = job.attempts.find((a) => a.attempt === job.attempt);
      const dispatchedAt = attempt?.phases?.dispatchedAt;
      const values: Measure[] = [[METRICS.jobsStarted, MetricUnit.Count, 1]];
      const queueWait = between(job.runAt, dispatchedAt);
      if (queueWait !== undefined) values.push([METRICS.queueWait, MetricUnit.Milliseconds, queueWait]);
      const startLatency = between(dispatchedAt, attempt?.startedAt);
      if (startLatency !== undefined)
        values.push([METRICS.startLatency, MetricUnit.Milliseconds, startLatency]);
      emit(['worker', job.worker], values);
    },
    onFinished: (job) => {
      const attempt = job.attempts.find((a) => a.attempt === job.attempt);
      const runDuration = between(attempt?.startedAt, attempt?.finishedAt);
      emit(
        ['status', job.status],
        [
          [METRICS.jobsFinished, MetricUnit.Count, 1],
          ...(runDuration === undefined
            ? []
            : [[METRICS.runDuration, MetricUnit.Milliseconds, runDuration] as Measure]),
        ],
      );
    },
  };
}

/** Milliseconds from one ISO time to a later one; undefined when either is unknown. */
function between(from: string | null | undefined, to: string | null | undefined): number | undefined {
  if (!from || !to) return undefined;
  return Math.max(0, Date.parse(to) - Date.parse(from));
}

/** Marks an observer withJobMetrics built, so a runtime wrapped twice wakes and notifies once. */
export const WRAPPED = Symbol('withJobMetrics');

/**
 * The runtime with, on its observer, the JobsFinished metric (unless it has an observer of its own:
 * `runlater dev` counts and logs its own), the waking of a finished job's dependents and of an
 * ended array child's parent and, when given, the queueing of webhook deliveries. (Job events on
 * AWS come from the jobs table's stream, not from here: handlers/jobEvents.ts.)
 * Schedule runs wrap theirs with this (they only queue jobs, so end no attempt); every handler
 * that can end an attempt uses withJobObservers (jobObservers.ts), which adds all of this and the
 * release of concurrency slots.
 */
export function withJobMetrics<
  R extends {
    observer?: JobObserver;
    queue?: DispatchQueue;
    deliveryQueue?: DeliveryQueue;
  },
>(runtime: R): R & { observer: JobObserver } {
  if (runtime.observer && WRAPPED in runtime.observer) return { ...runtime, observer: runtime.observer };
  const { queue, deliveryQueue } = runtime;
  const observer = allObservers(
    runtime.observer ?? jobMetricsObserver(),
    queue && pipelineObserver(queue),
    queue && arrayObserver(queue),
    deliveryQueue && deliveryObserver(deliveryQueue),
  );
  return { ...runtime, observer: Object.assign(observer, { [WRAPPED]: true }) };
}
