import { TaskStopCause, type TaskPhases, type TaskUpdate } from '../../core/ports.ts';
import { parseStartedBy } from '../../core/taskSpec.ts';
import { pullFailureCause } from '../startFailure.ts';

/** What the runner knows of a task when it reports on it (also what it keeps of an ended task). */
export interface LocalTaskState {
  taskId: string;
  /** `jobId.attempt`, as the container's labels name them. */
  startedBy: string;
  lastStatus: 'RUNNING' | 'STOPPED';
  createdAt?: string;
  startedAt?: string;
  stoppedAt?: string;
  exitCode?: number;
  /** Why it stopped, in runlater's words. */
  cause?: TaskStopCause;
  stoppedReason?: string;
  /**
   * Ended-task records written before `cause` existed carry ECS's stop code and the container's
   * reason instead; read by toTaskUpdate so that tasks ended before an upgrade still report right.
   */
  stopCode?: string;
  containerReason?: string;
}

/** The backend-neutral update the Docker runner reports for a task, from what it knows itself. */
export function toTaskUpdate(state: LocalTaskState): TaskUpdate {
  const owner = parseStartedBy(state.startedBy);
  if (!owner) throw new Error(`task ${state.taskId} is not a runlater task (${state.startedBy})`);
  const phases: TaskPhases = {
    ...(state.createdAt ? { createdAt: new Date(state.createdAt) } : {}),
    ...(state.startedAt ? { startedAt: new Date(state.startedAt) } : {}),
    ...(state.stoppedAt ? { stoppedAt: new Date(state.stoppedAt) } : {}),
  };
  const base = {
    taskId: state.taskId,
    jobId: owner.jobId,
    attempt: owner.attempt,
    phases,
    at: phases.stoppedAt ?? phases.startedAt ?? new Date(),
  };
  if (state.lastStatus === 'RUNNING') return { ...base, state: 'running' };
  const reason = [state.stoppedReason, state.containerReason].filter(Boolean).join(': ') || undefined;
  return {
    ...base,
    state: 'stopped',
    exitCode: state.exitCode ?? null,
    cause: state.cause ?? legacyCause(state, reason ?? ''),
    ...(reason ? { reason } : {}),
  };
}

function legacyCause(state: LocalTaskState, reason: string): TaskStopCause {
  if (state.stopCode === 'TaskFailedToStart') return pullFailureCause(reason);
  if (/OutOfMemoryError/.test(reason)) return TaskStopCause.OutOfMemory;
  if (state.stopCode === 'UserInitiated') return TaskStopCause.StoppedByRequest;
  return state.exitCode !== undefined ? TaskStopCause.Exited : TaskStopCause.Lost;
}
