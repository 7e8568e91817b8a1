import type { EcsTaskStateChangeEvent } from '../../lambdas/adapters/ecs/taskStateChange.ts';
import { JOB_CONTAINER_NAME } from '../../lambdas/adapters/ecs/taskStateChange.ts';

/** What a test says of an ECS task, in ECS's own words. */
export interface EcsTaskFacts {
  taskId: string;
  startedBy: string;
  lastStatus: 'RUNNING' | 'STOPPED';
  createdAt?: string;
  pullStartedAt?: string;
  pullStoppedAt?: string;
  startedAt?: string;
  stoppingAt?: string;
  stoppedAt?: string;
  exitCode?: number;
  stopCode?: string;
  stoppedReason?: string;
  /** The job container's own reason (e.g. OutOfMemoryError: ...). */
  containerReason?: string;
}

/** An EventBridge "ECS Task State Change" event, as ECS sends it for such a task. */
export function taskStateChangeEvent(task: EcsTaskFacts): EcsTaskStateChangeEvent {
  const { taskId, exitCode, containerReason, lastStatus, ...times } = task;
  return {
    version: '0',
    id: `${taskId}-${lastStatus}`,
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'eu-west-1',
    resources: [taskId],
    detail: {
      ...times,
      taskArn: taskId,
      clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/runlater',
      lastStatus,
      desiredStatus: lastStatus === 'RUNNING' ? 'RUNNING' : 'STOPPED',
      containers: [
        {
          name: JOB_CONTAINER_NAME,
          lastStatus,
          ...(exitCode !== undefined ? { exitCode } : {}),
          ...(containerReason ? { reason: containerReason } : {}),
        },
      ],
    },
  };
}
