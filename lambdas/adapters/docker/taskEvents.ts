import { JOB_CONTAINER_NAME, type EcsTaskStateChangeEvent } from '../ecs/taskStateChange.ts';

/** What the runner knows of a task when it reports on it. */
export interface LocalTaskState {
  taskId: string;
  startedBy: string;
  lastStatus: 'RUNNING' | 'STOPPED';
  createdAt?: string;
  startedAt?: string;
  stoppedAt?: string;
  exitCode?: number;
  stopCode?: 'EssentialContainerExited' | 'UserInitiated' | 'TaskFailedToStart';
  stoppedReason?: string;
  /** What happened to the job's container itself, as ECS puts it (e.g. OutOfMemoryError: ...). */
  containerReason?: string;
}

/** An EventBridge "ECS Task State Change" event, as ECS would send it for the same task. */
export function taskStateChangeEvent(state: LocalTaskState): EcsTaskStateChangeEvent {
  const now = new Date().toISOString();
  return {
    version: '0',
    id: `${state.taskId}-${state.lastStatus}`,
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: '000000000000',
    time: now,
    region: 'local',
    resources: [state.taskId],
    detail: {
      taskArn: state.taskId,
      clusterArn: 'arn:aws:ecs:local:000000000000:cluster/runlater-dev',
      lastStatus: state.lastStatus,
      desiredStatus: state.lastStatus === 'RUNNING' ? 'RUNNING' : 'STOPPED',
      startedBy: state.startedBy,
      ...(state.createdAt ? { createdAt: state.createdAt } : {}),
      ...(state.startedAt ? { startedAt: state.startedAt } : {}),
      ...(state.stoppedAt ? { stoppedAt: state.stoppedAt } : {}),
      ...(state.stopCode ? { stopCode: state.stopCode } : {}),
      ...(state.stoppedReason ? { stoppedReason: state.stoppedReason } : {}),
      containers: [
        {
          name: JOB_CONTAINER_NAME,
          lastStatus: state.lastStatus,
          ...(state.exitCode !== undefined ? { exitCode: state.exitCode } : {}),
          ...(state.containerReason ? { reason: state.containerReason } : {}),
        },
      ],
    },
  };
}
