import { Logger } from '@aws-lambda-powertools/logger';
import { TaskStatusRecorder } from '../core/TaskStatusRecorder.ts';
import { toTaskUpdate, type EcsTaskStateChangeEvent } from '../adapters/ecs/taskStateChange.ts';
import type { Runtime } from './runtime.ts';

/** Records ECS "Task State Change" events (from EventBridge, or from the local Docker runner). */
export function makeTaskStatusHandler(
  runtime: Runtime,
  logger = new Logger({ serviceName: 'runlater-status' }),
) {
  const recorder = new TaskStatusRecorder(runtime);
  return async (event: EcsTaskStateChangeEvent): Promise<void> => {
    const update = toTaskUpdate(event);
    if (!update) return;
    const result = await recorder.record(update);
    logger.debug('task event', { taskId: update.taskId, state: update.state, result });
  };
}
