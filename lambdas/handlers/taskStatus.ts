import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { isFinal } from '../core/jobStatus.ts';
import { TaskStatusRecorder } from '../core/TaskStatusRecorder.ts';
import { toTaskUpdate, type EcsTaskStateChangeEvent } from '../adapters/ecs/taskStateChange.ts';
import type { Runtime } from './runtime.ts';

/** The namespace and metric the dashboard graphs (lib/RunLaterDashboard.ts). */
export const METRICS = {
  namespace: 'runlater',
  service: 'runlater-status',
  jobsFinished: 'JobsFinished',
} as const;

/** Records ECS "Task State Change" events (from EventBridge, or from the local Docker runner). */
export function makeTaskStatusHandler(
  runtime: Runtime,
  logger = new Logger({ serviceName: METRICS.service }),
  metrics = new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service }),
) {
  const recorder = new TaskStatusRecorder(runtime);
  return async (event: EcsTaskStateChangeEvent): Promise<void> => {
    const update = toTaskUpdate(event);
    if (!update) return;
    const result = await recorder.record(update);
    logger.debug('task event', { taskId: update.taskId, state: update.state, result });
    if (result !== 'recorded' || update.state !== 'stopped') return;
    const job = await runtime.jobs.get(update.jobId);
    if (!job || !isFinal(job.status)) return;
    // Jobs finished, by status: one EMF line on AWS; harmless output nobody reads locally.
    const single = metrics.singleMetric();
    single.addDimension('status', job.status);
    single.addMetric(METRICS.jobsFinished, MetricUnit.Count, 1);
  };
}
