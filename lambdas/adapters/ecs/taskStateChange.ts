import type { EventBridgeEvent } from 'aws-lambda';
import { TaskStopCause, type TaskPhases, type TaskUpdate } from '../../core/ports.ts';
import { parseStartedBy } from '../../core/taskSpec.ts';
import { pullFailureCause } from '../startFailure.ts';

/** The name of the job's container in every task (ECS task definition and local Docker runner alike). */
export const JOB_CONTAINER_NAME = 'job';
/** The init container that fills /runlater with the shim and the job's stdin (AWS only). */
export const INIT_CONTAINER_NAME = 'runlater-init';

/** The part of an ECS "Task State Change" event's detail that runlater reads. */
export interface EcsTaskStateChangeDetail {
  taskArn: string;
  clusterArn?: string;
  lastStatus: string; // PROVISIONING | PENDING | ACTIVATING | RUNNING | DEACTIVATING | STOPPING | DEPROVISIONING | STOPPED
  desiredStatus?: string;
  startedBy?: string;
  group?: string;
  createdAt?: string;
  pullStartedAt?: string;
  pullStoppedAt?: string;
  startedAt?: string;
  stoppingAt?: string;
  stoppedAt?: string;
  stopCode?: string; // TaskFailedToStart | EssentialContainerExited | UserInitiated | ServiceSchedulerInitiated | SpotInterruption | TerminationNotice
  stoppedReason?: string;
  containers?: { name: string; lastStatus?: string; exitCode?: number; reason?: string }[];
  version?: number;
}

export type EcsTaskStateChangeEvent = EventBridgeEvent<'ECS Task State Change', EcsTaskStateChangeDetail>;

/**
 * Reads an ECS task event as a backend-neutral TaskUpdate, or undefined when it is not about a
 * runlater job or says nothing we record (PENDING and the like).
 */
export function toTaskUpdate(event: EcsTaskStateChangeEvent): TaskUpdate | undefined {
  const d = event.detail;
  const owner = parseStartedBy(d.startedBy);
  if (!owner) return undefined;
  const job = d.containers?.find((c) => c.name === JOB_CONTAINER_NAME);
  const at = new Date(d.stoppedAt ?? d.startedAt ?? event.time);
  const phases = ecsPhases(d);
  const base = {
    taskId: d.taskArn,
    jobId: owner.jobId,
    attempt: owner.attempt,
    at,
    ...(Object.keys(phases).length > 0 ? { phases } : {}),
  };
  if (d.lastStatus === 'STOPPED') {
    const exitCode = typeof job?.exitCode === 'number' ? job.exitCode : null;
    const reason = stopReason(d.stoppedReason, job?.reason);
    return {
      ...base,
      state: 'stopped',
      exitCode,
      cause: stopCause(d.stopCode, reason ?? '', exitCode),
      ...(reason ? { reason } : {}),
    };
  }
  if (d.lastStatus === 'RUNNING') return { ...base, state: 'running' };
  return undefined;
}

/** ECS's stoppedReason and the job container's own reason (e.g. OutOfMemoryError: ...), together. */
export function stopReason(taskReason?: string, containerReason?: string): string | undefined {
  return [taskReason, containerReason].filter(Boolean).join(': ') || undefined;
}

/** ECS's stop code and reasons in runlater's words (see TaskStopCause). */
export function stopCause(
  stopCode: string | undefined,
  reason: string,
  exitCode: number | null,
): TaskStopCause {
  if (stopCode === 'TaskFailedToStart') return pullFailureCause(reason);
  if (/OutOfMemoryError/.test(reason)) return TaskStopCause.OutOfMemory;
  if (stopCode === 'UserInitiated') return TaskStopCause.StoppedByRequest;
  if (exitCode !== null) return TaskStopCause.Exited;
  // SpotInterruption, TerminationNotice, ServiceSchedulerInitiated, or no container exit: it may have run.
  return TaskStopCause.Lost;
}

/** The phase times ECS reports on a task (event detail or DescribeTasks alike). */
export function ecsPhases(task: {
  createdAt?: string | Date;
  pullStartedAt?: string | Date;
  pullStoppedAt?: string | Date;
  startedAt?: string | Date;
  stoppingAt?: string | Date;
  stoppedAt?: string | Date;
}): TaskPhases {
  const phases: TaskPhases = {};
  for (const name of [
    'createdAt',
    'pullStartedAt',
    'pullStoppedAt',
    'startedAt',
    'stoppingAt',
    'stoppedAt',
  ] as const) {
    const value = task[name];
    if (value !== undefined) phases[name] = new Date(value);
  }
  return phases;
}
