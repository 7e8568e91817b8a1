import type { EventBridgeEvent } from 'aws-lambda';
import type { TaskUpdate } from '../../core/ports.ts';
import { parseStartedBy } from '../../core/taskSpec.ts';

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
 * Reads an ECS task event as a TaskUpdate, or undefined when it is not about a runlater job or
 * says nothing we record (PENDING and the like).
 */
export function toTaskUpdate(event: EcsTaskStateChangeEvent): TaskUpdate | undefined {
  const d = event.detail;
  const owner = parseStartedBy(d.startedBy);
  if (!owner) return undefined;
  const job = d.containers?.find((c) => c.name === JOB_CONTAINER_NAME);
  const at = new Date(d.stoppedAt ?? d.startedAt ?? event.time);
  const base = { taskId: d.taskArn, jobId: owner.jobId, attempt: owner.attempt, at };
  if (d.lastStatus === 'STOPPED') {
    const reason = [d.stoppedReason, job?.reason].filter(Boolean).join(': ') || undefined;
    return {
      ...base,
      state: 'stopped',
      exitCode: typeof job?.exitCode === 'number' ? job.exitCode : null,
      ...(d.stopCode ? { stopCode: d.stopCode } : {}),
      ...(reason ? { reason } : {}),
      ...(d.startedAt ? { startedAt: new Date(d.startedAt) } : {}),
    };
  }
  if (d.lastStatus === 'RUNNING') {
    return { ...base, state: 'running', ...(d.startedAt ? { startedAt: new Date(d.startedAt) } : {}) };
  }
  return undefined;
}
