import { Logger } from '@aws-lambda-powertools/logger';
import type { TaskUpdate } from '../core/ports.ts';
import { TaskStatusRecorder } from '../core/TaskStatusRecorder.ts';
import { toTaskUpdate, type EcsTaskStateChangeEvent } from '../adapters/ecs/taskStateChange.ts';
import { withJobObservers } from './jobObservers.ts';
import type { Runtime } from './runtime.ts';

export { METRICS } from './jobMetrics.ts';

/** What the status function uses: lambdas/entrypoints/taskStatusRuntime.ts builds exactly this on AWS. */
export type TaskStatusRuntime = Pick<
  Runtime,
  'jobs' | 'workers' | 'slots' | 'queue' | 'clock' | 'observer' | 'deliveryQueue'
>;

/**
 * Records backend-neutral task updates. The local Docker runner calls this with the updates it
 * makes from its own knowledge; on AWS makeTaskStatusHandler feeds it ECS events.
 */
export function makeTaskUpdateHandler(
  runtime: TaskStatusRuntime,
  logger = new Logger({ serviceName: 'runlater-status' }),
) {
  const recorder = new TaskStatusRecorder(withJobObservers(runtime));
  return async (update: TaskUpdate): Promise<void> => {
    const result = await recorder.record(update);
    logger.debug('task update', { taskId: update.taskId, state: update.state, result });
  };
}

/** Records ECS "Task State Change" events, as EventBridge delivers them on AWS. */
export function makeTaskStatusHandler(
  runtime: TaskStatusRuntime,
  logger = new Logger({ serviceName: 'runlater-status' }),
) {
  const record = makeTaskUpdateHandler(runtime, logger);
  return async (event: EcsTaskStateChangeEvent): Promise<void> => {
    const update = toTaskUpdate(event);
    if (update) await record(update);
  };
}
