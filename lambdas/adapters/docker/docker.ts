import type Docker from 'dockerode';
import { RetryLaterError } from '../../core/errors.ts';
import { startedByFor } from '../../core/taskSpec.ts';
import { LABEL } from './containerConfig.ts';
import { TaskStopCause, type TaskDescription } from '../../core/ports.ts';
import { toTaskUpdate, type LocalTaskState } from './taskEvents.ts';

/** The HTTP status of a Docker API error (404 no such container, 304 already so, 409 conflict). */
export function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number } | undefined)?.statusCode;
}

/** Docker's own words for an error, without dockerode's "(HTTP code …)" wrapping. */
export function dockerMessage(err: unknown): string {
  const json = (err as { json?: unknown } | undefined)?.json;
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string')
    return (json as { message: string }).message.trim();
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

/**
 * True when the engine cannot be reached at all (no socket, refused, dropped): then nothing is the
 * job's fault. Only errors of the connection count: a missing stdin file is ENOENT too.
 */
export function isUnreachable(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.syscall === 'connect') return true;
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(e?.code ?? '');
}

/** Runs `fn`, turning an unreachable engine into RetryLaterError: try again later, fail nothing. */
export async function unavailableAsRetry<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!isUnreachable(err)) throw err;
    throw new RetryLaterError(`Docker is not reachable: ${(err as Error).message}`, 'unavailable', {
      cause: err,
    });
  }
}

/** Docker's zero time ("0001-01-01T00:00:00Z") marks a container that never started. */
export function hasStarted(info: Docker.ContainerInspectInfo): boolean {
  return Date.parse(info.State.StartedAt) > 0;
}

/** How an exited container's task ended. `stopReason` is runlater's, when it stopped it. */
export function howItEnded(
  info: Docker.ContainerInspectInfo,
  stopReason: string | undefined,
): Pick<LocalTaskState, 'exitCode' | 'cause' | 'stoppedReason'> {
  const s = info.State;
  if (!hasStarted(info)) {
    if (stopReason !== undefined) return { cause: TaskStopCause.StoppedByRequest, stoppedReason: stopReason };
    // Docker refused to start what it created (no such executable, a bad mount): the job's setup.
    return {
      cause: TaskStopCause.StartFailed,
      stoppedReason: `CannotStartContainerError: ${s.Error || 'the container could not be started'}`,
    };
  }
  if (s.OOMKilled)
    return {
      exitCode: s.ExitCode,
      cause: TaskStopCause.OutOfMemory,
      stoppedReason:
        stopReason ?? 'OutOfMemoryError: the container was killed for using more memory than its limit',
    };
  return {
    exitCode: s.ExitCode,
    cause: stopReason !== undefined ? TaskStopCause.StoppedByRequest : TaskStopCause.Exited,
    stoppedReason: stopReason ?? 'the container exited',
  };
}

/** What a container says of its task, for an event: who started it, and when it started and stopped. */
export function taskState(
  info: Docker.ContainerInspectInfo,
  lastStatus: 'RUNNING' | 'STOPPED',
): LocalTaskState {
  const labels = info.Config.Labels;
  const started = hasStarted(info);
  // A container that never started has no FinishedAt either: it stops now, as far as anyone can tell.
  // Docker stamps StartedAt after the process runs, so a program that exits at once can show a
  // FinishedAt a little before it (seen: 0.4 ms): a task never stops before it started.
  const stoppedAt = started
    ? new Date(Math.max(Date.parse(info.State.FinishedAt), Date.parse(info.State.StartedAt)))
    : new Date();
  return {
    taskId: labels[LABEL.task]!,
    startedBy: startedByFor(labels[LABEL.job]!, Number(labels[LABEL.attempt])),
    lastStatus,
    createdAt: new Date(info.Created).toISOString(),
    ...(started ? { startedAt: new Date(info.State.StartedAt).toISOString() } : {}),
    ...(lastStatus === 'STOPPED' ? { stoppedAt: stoppedAt.toISOString() } : {}),
  };
}

/** A stopped task as describe() tells it, from the state its stop report carries. */
export function describeStopped(state: LocalTaskState): TaskDescription {
  const { exitCode, cause, reason, phases } = toTaskUpdate(state);
  return {
    state: 'stopped',
    exitCode: exitCode ?? null,
    ...(cause ? { cause } : {}),
    ...(reason ? { reason } : {}),
    phases: phases ?? {},
  };
}

/** The task's container, if it is this runner's: another's (another data directory) is none of ours. */
export async function inspectOwned(
  docker: Docker,
  taskId: string,
  owner: string,
): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    const info = await docker.getContainer(taskId).inspect();
    return info.Config.Labels?.[LABEL.owner] === owner ? info : undefined;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}
