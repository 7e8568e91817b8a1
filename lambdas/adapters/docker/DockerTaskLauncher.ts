import { resolve } from 'node:path';
import Docker from 'dockerode';
import {
  TaskStopCause,
  type StdinStore,
  type TaskDescription,
  type TaskLauncher,
  type TaskSpec,
  type TaskUpdate,
} from '../../core/ports.ts';
import { startedByFor, TIMEOUT_STOP_REASON } from '../../core/taskSpec.ts';
import { pullFailureCause } from '../startFailure.ts';
import { LABEL, taskIdFor } from './containerConfig.ts';
import {
  describeStopped,
  dockerMessage,
  howItEnded,
  inspectOwned,
  isUnreachable,
  statusOf,
  taskState,
  unavailableAsRetry,
} from './docker.ts';
import { LogCollector } from './LogCollector.ts';
import {
  PULL_FAILURE,
  StartFailure,
  TaskContainerFactory,
  type ContainerCredentials,
} from './TaskContainerFactory.ts';
import { toTaskUpdate, type LocalTaskState } from './taskEvents.ts';
import { TaskFiles, type EndedTask } from './taskFiles.ts';
import { Timers } from './Timers.ts';

export interface DockerTaskLauncherOptions {
  dataDir: string;
  /** Receives the task's updates (running, stopped); a stopped one is sent again until this resolves. */
  onTaskEvent: (update: TaskUpdate) => Promise<void>;
  stdinStore: StdinStore;
  docker?: Docker;
  busyboxPath?: string;
  /** Secrets and registry credentials for jobs' containers. */
  credentials?: ContainerCredentials;
  /** Seconds between SIGTERM and SIGKILL when a task is stopped (default 10). */
  stopGraceSeconds?: number;
}

const RETRY_MS = 5000;

/**
 * Runs tasks in Docker the way the Fargate task definition runs them (see containerConfig.ts) and
 * reports them as backend-neutral task updates, from what Docker tells of each container.
 *
 * Containers outlive this process. Their output is copied to disk as it comes (LogCollector); a
 * container is removed only once all of it is there and its STOPPED event accepted, so a crash at any point loses nothing: recover() takes everything up
 * again, and the receiver of the events is idempotent if one is sent twice.
 */
export class DockerTaskLauncher implements TaskLauncher {
  private readonly docker: Docker;
  private readonly files: TaskFiles;
  private readonly owner: string;
  private readonly launching = new Map<string, Promise<{ taskId: string }>>();
  private readonly watching = new Set<string>();
  private readonly finishing = new Map<string, Promise<void>>();
  private readonly reporting = new Set<string>();
  private readonly timers = new Timers();
  private readonly closing = new AbortController();
  private readonly factory: TaskContainerFactory;
  private readonly collector: LogCollector;

  constructor(private readonly options: DockerTaskLauncherOptions) {
    this.docker = options.docker ?? new Docker();
    this.owner = resolve(options.dataDir);
    this.files = new TaskFiles(this.owner);
    this.collector = new LogCollector(this.docker, this.owner);
    this.factory = new TaskContainerFactory(this.docker, {
      owner: this.owner,
      stdinStore: options.stdinStore,
      ...(options.busyboxPath ? { busyboxPath: options.busyboxPath } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
  }

  launch(spec: TaskSpec): Promise<{ taskId: string }> {
    const taskId = taskIdFor(spec.clientToken);
    // Two deliveries of one attempt at once share one launch (across processes, Docker's 409 does).
    const pending = this.launching.get(taskId) ?? this.launchOnce(taskId, spec);
    this.launching.set(taskId, pending);
    return pending.finally(() => this.launching.delete(taskId));
  }

  private launchOnce(taskId: string, spec: TaskSpec): Promise<{ taskId: string }> {
    return unavailableAsRetry(async () => {
      // Its container goes once its end is reported: the same token still gets the same, ended task.
      if (await this.files.readEnded(taskId)) return { taskId };
      const made = await this.create(taskId, spec);
      if (made === 'settled') return { taskId };
      if (made.sandboxId) {
        if (await this.start(taskId, made.sandboxId)) return { taskId };
        // Its sandbox had stopped (with its engine, say): the job joins the network itself.
        if ((await this.create(taskId, spec, { sandbox: false })) === 'settled') return { taskId };
      }
      await this.start(taskId);
      return { taskId };
    });
  }

  /** Creates the attempt's container; 'settled' when there is nothing left to start. */
  private async create(
    taskId: string,
    spec: TaskSpec,
    options?: { sandbox: boolean },
  ): Promise<{ sandboxId?: string } | 'settled'> {
    try {
      return await this.factory.create(taskId, spec, this.files.taskDir(taskId), options);
    } catch (err) {
      // The container exists: an earlier delivery of this attempt (or one racing this) made it.
      // Asking Docker first instead would cost every launch a request that is nearly always a 404.
      if (statusOf(err) === 409) {
        const existing = await this.inspect(taskId);
        if (existing?.State.Status === 'created') await this.start(taskId);
        return 'settled';
      }
      if (!(err instanceof StartFailure)) throw err;
      // A pull that failed may pass (a registry down); a refused container config will not.
      const cause = err.message.startsWith(PULL_FAILURE)
        ? pullFailureCause(err.message)
        : TaskStopCause.StartFailed;
      await this.failedToStart(taskId, spec, err.message, cause);
      return 'settled';
    }
  }

  stop(taskId: string, reason: string): Promise<void> {
    return unavailableAsRetry(async () => {
      const info = await this.inspect(taskId);
      if (!info || !(info.State.Running || info.State.Status === 'created')) return; // unknown or ended
      // Kept on disk: the task must be reported as stopped for this reason even across a restart.
      await this.files.writeStopReason(taskId, reason);
      // A container not started yet is not started at all (start() reads the reason).
      if (info.State.Running) this.kill(taskId);
    });
  }

  describe(taskId: string): Promise<TaskDescription | undefined> {
    return unavailableAsRetry(async () => {
      const info = await this.inspect(taskId);
      const ended = info ? undefined : await this.files.readEnded(taskId);
      if (!info && !ended) return undefined;
      if (info && (info.State.Running || info.State.Status === 'created')) {
        return info.State.Running
          ? { state: 'running', startedAt: new Date(info.State.StartedAt) }
          : { state: 'pending' };
      }
      const state = ended ?? {
        ...taskState(info!, 'STOPPED'),
        ...howItEnded(info!, await this.files.readStopReason(taskId)),
      };
      return describeStopped(state);
    });
  }

  /** Call once at start-up: watches this runner's running containers, finishes the rest. */
  recover(): Promise<void> {
    return unavailableAsRetry(async () => {
      const containers = await this.docker.listContainers({
        all: true,
        filters: { label: [LABEL.task, `${LABEL.owner}=${this.owner}`] },
      });
      const inSandboxes = containers
        .filter((c) => c.State === 'created' || c.State === 'running')
        .map((c) => c.Labels[LABEL.inSandbox])
        .filter((id): id is string => id !== undefined);
      await this.factory.sandboxes.adopt(new Set(inSandboxes));
      for (const c of containers) {
        const taskId = c.Labels[LABEL.task];
        if (!taskId) continue;
        if (c.State === 'created') await this.start(taskId);
        else this.watch(taskId);
      }
      for (const ended of await this.files.unreported()) this.report(ended);
    });
  }

  /** Stops watching and reporting; containers keep running, for recover() to take up. */
  async close(): Promise<void> {
    this.closing.abort();
    this.timers.close();
    await Promise.allSettled([
      ...this.finishing.values(),
      this.collector.close(),
      this.factory.sandboxes.close(),
    ]);
  }

  private get closed(): boolean {
    return this.closing.signal.aborted;
  }

  /**
   * Starts a created container; if it cannot start (or was stopped first), it ends as ECS would end
   * it. In a network sandbox (`sandboxId`) a container that will not start is taken for a sandbox
   * gone: the sandbox is discarded, the container removed, and false returned, to make it again
   * without one.
   */
  private async start(taskId: string, sandboxId?: string): Promise<boolean> {
    if ((await this.files.readStopReason(taskId)) !== undefined) {
      void this.finish(taskId);
      return true;
    }
    try {
      await this.docker.getContainer(taskId).start();
    } catch (err) {
      if (isUnreachable(err)) throw err;
      if (statusOf(err) !== 304) {
        if (!sandboxId) {
          void this.finish(taskId); // reports start-failed with Docker's error
          return true;
        }
        this.factory.sandboxes.discard(sandboxId);
        await this.docker
          .getContainer(taskId)
          .remove({ force: true })
          .catch((e: unknown) => {
            if (statusOf(e) !== 404) throw e;
          });
        return false;
      }
    }
    this.watch(taskId);
    return true;
  }

  private async failedToStart(
    taskId: string,
    spec: TaskSpec,
    reason: string,
    cause: TaskStopCause,
  ): Promise<void> {
    const now = new Date().toISOString();
    const ended: EndedTask = {
      taskId,
      startedBy: startedByFor(spec.jobId, spec.attempt),
      lastStatus: 'STOPPED',
      createdAt: now,
      stoppedAt: now,
      cause,
      stoppedReason: reason,
      reported: false,
    };
    // Written before launch() answers: there is no container to find this task by after a crash.
    await this.files.writeEnded(ended);
    await this.files.removeWorkFiles(taskId);
    this.report(ended);
  }

  /** Sends the STOPPED event of a task that never had a running container, until it is accepted. */
  private report(ended: EndedTask): void {
    if (this.closed || this.reporting.has(ended.taskId)) return;
    this.reporting.add(ended.taskId);
    const { reported: _reported, ...state } = ended;
    this.emit(state)
      .then(() => this.files.writeEnded({ ...ended, reported: true }))
      .then(
        () => this.reporting.delete(ended.taskId),
        (err: unknown) => {
          this.reporting.delete(ended.taskId);
          console.error(`runner: reporting ${ended.taskId} failed, trying again:`, (err as Error).message);
          this.timers.later(RETRY_MS, () => this.report(ended));
        },
      );
  }

  /** Reports RUNNING, enforces the timeout, and finishes the task when its container exits. */
  private watch(taskId: string): void {
    if (this.closed || this.watching.has(taskId)) return;
    this.watching.add(taskId);
    this.follow(taskId)
      .catch((err: unknown) => {
        if (this.closed) return;
        console.error(`runner: watching ${taskId} failed, trying again:`, (err as Error).message);
        this.timers.later(RETRY_MS, () => this.watch(taskId));
      })
      .finally(() => this.watching.delete(taskId));
  }

  private async follow(taskId: string): Promise<void> {
    const info = await this.inspect(taskId);
    if (!info || this.closed || info.State.Status === 'created') return; // start() watches it once started
    if (info.State.Running) {
      // Asked for before RUNNING is reported, not after: a short job has often exited by the time
      // that write is done, and its end is then noticed at once instead of a request later.
      const exited = this.docker.getContainer(taskId).wait({ abortSignal: this.closing.signal });
      exited.catch(() => undefined); // awaited below; only an early rejection must not go unhandled
      // Not awaited: it ends with the container. Should it fail, finishing copies what it missed.
      this.collector.follow(taskId).catch((err: unknown) => {
        if (!this.closed) console.error(`runner: copying the output of ${taskId}:`, (err as Error).message);
      });
      await this.emit(taskState(info, 'RUNNING')).catch((err: unknown) =>
        console.error(`runner: RUNNING of ${taskId} not accepted:`, (err as Error).message),
      );
      this.armDeadline(taskId, info);
      // Asked to stop before a restart of this process: the SIGKILL may never have come.
      if ((await this.files.readStopReason(taskId)) !== undefined) this.kill(taskId);
      try {
        await exited;
      } finally {
        this.timers.cancelDeadline(taskId);
      }
    }
    // A container that had exited by the time it was looked at is as it will stay: no need to ask again.
    if (!this.closed) await this.finish(taskId, info.State.Running ? undefined : info);
  }

  /** The timeout counts from the container's own start, so it holds across restarts of this process. */
  private armDeadline(taskId: string, info: Docker.ContainerInspectInfo): void {
    const seconds = Number(info.Config.Labels[LABEL.timeout] ?? 0);
    if (!(seconds > 0)) return;
    const due = Date.parse(info.State.StartedAt) + seconds * 1000 - Date.now();
    this.timers.deadline(taskId, due, () => this.stop(taskId, TIMEOUT_STOP_REASON));
  }

  /** SIGTERM, then SIGKILL after the grace period. Not awaited: like StopTask, stop() answers at once. */
  private kill(taskId: string): void {
    this.docker
      .getContainer(taskId)
      .stop({ t: this.options.stopGraceSeconds ?? 10 })
      .catch((err: unknown) => {
        const status = statusOf(err);
        if (status !== 304 && status !== 404)
          console.error(`runner: stopping ${taskId}:`, dockerMessage(err));
      });
  }

  /** Makes sure all output is on disk, reports STOPPED, then removes the container. Tried again until reported. */
  private finish(taskId: string, exited?: Docker.ContainerInspectInfo): Promise<void> {
    const running = this.finishing.get(taskId);
    if (running) return running;
    const work = this.settle(taskId, exited)
      .catch((err: unknown) => {
        if (this.closed) return;
        console.error(`runner: finishing ${taskId} failed, trying again:`, (err as Error).message);
        this.timers.later(RETRY_MS, () => this.finish(taskId));
      })
      .finally(() => this.finishing.delete(taskId));
    this.finishing.set(taskId, work);
    return work;
  }

  private async settle(taskId: string, exited?: Docker.ContainerInspectInfo): Promise<void> {
    const info = exited ?? (await this.inspect(taskId));
    if (!info || this.closed) return;
    // Its processes are gone: the network sandbox it joined may serve the next job already.
    const sandboxId = info.Config.Labels[LABEL.inSandbox];
    if (sandboxId && !info.State.Running) this.factory.sandboxes.give(sandboxId, taskId);
    const container = this.docker.getContainer(taskId);
    await this.collector.drain(taskId, Date.parse(info.State.FinishedAt));
    const state = {
      ...taskState(info, 'STOPPED'),
      ...howItEnded(info, await this.files.readStopReason(taskId)),
    };
    await this.emit(state);
    await this.files.writeEnded({ ...state, reported: true });
    await container.remove({ force: true }).catch((err: unknown) => {
      if (statusOf(err) !== 404) throw err;
    });
    await this.files.removeWorkFiles(taskId);
  }

  private emit(state: LocalTaskState): Promise<void> {
    return this.options.onTaskEvent(toTaskUpdate(state));
  }

  private inspect(taskId: string): Promise<Docker.ContainerInspectInfo | undefined> {
    return inspectOwned(this.docker, taskId, this.owner);
  }
}
