import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { RetryLaterError } from '../../core/errors.ts';
import type { StdinStore, TaskDescription, TaskLauncher, TaskSpec } from '../../core/ports.ts';
import { containerEnvironment, startedByFor, TIMEOUT_STOP_REASON } from '../../core/taskSpec.ts';
import type { EcsTaskStateChangeEvent } from '../ecs/taskStateChange.ts';
import { logFileFor } from '../local/LocalLogReader.ts';
import { prepareShimDirectory } from '../../shim/prepare.ts';
import { demuxDockerLogs } from './dockerLogs.ts';
import { taskStateChangeEvent, type LocalTaskState } from './taskEvents.ts';

export interface DockerTaskLauncherOptions {
  dataDir: string;
  /** Receives the task's ECS-shaped events; a STOPPED event is re-sent until this resolves. */
  onTaskEvent: (event: EcsTaskStateChangeEvent) => Promise<void>;
  stdinStore: StdinStore;
  docker?: Docker;
  busyboxPath?: string;
  /** Seconds between SIGTERM and SIGKILL when a task is stopped (default 10). */
  stopGraceSeconds?: number;
}

const LABEL = {
  task: 'runlater.task',
  job: 'runlater.job',
  attempt: 'runlater.attempt',
  timeout: 'runlater.timeout',
};
const SHIM_ENTRYPOINT = ['/runlater/busybox', 'sh', '/runlater/shim.sh'];

/**
 * Runs tasks in Docker the way the Fargate task definition runs them: the shim directory at
 * /runlater, the shim as entrypoint in front of the worker's command (or the image's own
 * ENTRYPOINT and CMD), env = worker env + job env, output kept apart by stream, byte for byte.
 *
 * The task id is the container's name, made from the attempt's client token: launching an
 * attempt twice finds the container the first launch made. Containers outlive this process;
 * they are removed only once their end has been reported and their output saved, so a crash at
 * any point loses nothing: recover() takes them up again.
 */
export class DockerTaskLauncher implements TaskLauncher {
  private readonly docker: Docker;
  private readonly watching = new Map<string, Promise<void>>();
  private readonly finishing = new Map<string, Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly options: DockerTaskLauncherOptions) {
    this.docker = options.docker ?? new Docker();
  }

  private readonly launching = new Map<string, Promise<{ taskId: string }>>();

  async launch(spec: TaskSpec): Promise<{ taskId: string }> {
    const taskId = `runlater-${spec.clientToken}`;
    // Two deliveries of one attempt at once share one launch: they would race on its files.
    const running = this.launching.get(taskId);
    if (running) return running;
    const launch = this.launchOnce(taskId, spec).finally(() => this.launching.delete(taskId));
    this.launching.set(taskId, launch);
    return launch;
  }

  private async launchOnce(taskId: string, spec: TaskSpec): Promise<{ taskId: string }> {
    try {
      const existing = await this.inspect(taskId);
      if (existing) {
        if (existing.State.Status === 'created') await this.start(taskId);
        return { taskId };
      }
      const image = spec.worker.command
        ? { argv: spec.worker.command }
        : await this.imageCommand(spec.worker.image);
      if ('error' in image) {
        // As on ECS, the launch succeeds and the task then stops without having started.
        void this.failToStart(taskId, spec, `CannotPullContainerError: ${spec.worker.image}: ${image.error}`);
        return { taskId };
      }
      const argv = image.argv;
      const dir = this.taskDir(taskId);
      const source =
        'inlineBase64' in spec.stdin
          ? { stdinBase64: spec.stdin.inlineBase64 }
          : { stdinUrl: await this.options.stdinStore.url(spec.stdin.blobKey) };
      await prepareShimDirectory(
        dir,
        source,
        this.options.busyboxPath ? { busyboxPath: this.options.busyboxPath } : {},
      );
      await this.docker.createContainer({
        name: taskId,
        Image: spec.worker.image,
        Entrypoint: [...SHIM_ENTRYPOINT, ...argv],
        Env: Object.entries(containerEnvironment(spec)).map(([k, v]) => `${k}=${v}`),
        Labels: {
          [LABEL.task]: taskId,
          [LABEL.job]: spec.jobId,
          [LABEL.attempt]: String(spec.attempt),
          [LABEL.timeout]: String(spec.timeoutSeconds),
        },
        HostConfig: {
          Binds: [`${dir}:/runlater:ro`],
          LogConfig: { Type: 'local', Config: {} },
          Memory: spec.worker.memory * 1024 * 1024,
          NanoCpus: Math.round((spec.worker.cpu / 1024) * 1e9),
        },
      });
      await this.start(taskId);
      return { taskId };
    } catch (err) {
      if (isDockerUnreachable(err))
        throw new RetryLaterError(`Docker is not reachable: ${(err as Error).message}`, 'unavailable', {
          cause: err,
        });
      if ((err as { statusCode?: number }).statusCode === 409) return { taskId }; // a racing launch made it
      throw err;
    }
  }

  async stop(taskId: string, reason: string): Promise<void> {
    const file = this.stopFile(taskId);
    // The first reason wins: a timeout that races a cancel keeps what happened first.
    await mkdir(join(this.options.dataDir, 'stops'), { recursive: true });
    await writeFile(file, reason, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    try {
      await this.docker.getContainer(taskId).stop({ t: this.options.stopGraceSeconds ?? 10 });
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status !== 304 && status !== 404) throw err; // already stopped, or gone
    }
  }

  async describe(taskId: string): Promise<TaskDescription | undefined> {
    const info = await this.inspect(taskId);
    if (info) {
      const s = info.State;
      if (s.Running || s.Restarting || s.Paused)
        return { state: 'running', startedAt: new Date(s.StartedAt) };
      if (s.Status === 'created') return { state: 'pending' };
      return {
        state: 'stopped',
        exitCode: s.ExitCode,
        stoppedAt: new Date(s.FinishedAt),
        startedAt: new Date(s.StartedAt),
      };
    }
    const done = await this.readDone(taskId);
    if (!done) return undefined;
    return {
      state: 'stopped',
      exitCode: done.exitCode ?? null,
      ...(done.startedAt ? { startedAt: new Date(done.startedAt) } : {}),
      ...(done.stoppedAt ? { stoppedAt: new Date(done.stoppedAt) } : {}),
      ...(done.stopCode ? { stopCode: done.stopCode } : {}),
      ...(done.stoppedReason ? { reason: done.stoppedReason } : {}),
    };
  }

  /** Takes up every runlater container: watches running ones, finishes exited ones. */
  async recover(): Promise<void> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [LABEL.task] } });
    for (const c of containers) {
      const taskId = c.Labels[LABEL.task]!;
      if (c.State === 'created')
        await this.start(taskId).catch((err) => console.error(`runner: cannot start ${taskId}:`, err));
      else this.watch(taskId);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** The image's ENTRYPOINT + CMD, pulling the image if it is not here. */
  private async imageCommand(image: string): Promise<{ argv: string[] } | { error: string }> {
    let info = await this.docker
      .getImage(image)
      .inspect()
      .catch((err: { statusCode?: number }) => (err.statusCode === 404 ? undefined : Promise.reject(err)));
    if (!info) {
      try {
        const stream = await this.docker.pull(image);
        await new Promise<void>((resolve, reject) =>
          this.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
        );
        info = await this.docker.getImage(image).inspect();
      } catch (err) {
        return { error: (err as Error).message };
      }
    }
    return { argv: [...(info.Config.Entrypoint ?? []), ...(info.Config.Cmd ?? [])] };
  }

  private async start(taskId: string): Promise<void> {
    await this.docker
      .getContainer(taskId)
      .start()
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304) throw err; // already started
      });
    this.watch(taskId);
  }

  /** Reports RUNNING, enforces the timeout, and finishes the task when its container exits. */
  private watch(taskId: string): void {
    if (this.watching.has(taskId) || this.closed) return;
    const watcher = (async () => {
      const info = await this.inspect(taskId);
      if (!info) return;
      const startedAt = info.State.StartedAt;
      if (info.State.Running) {
        await this.emit(this.state(info, 'RUNNING')).catch((err) =>
          console.error(`runner: RUNNING of ${taskId}:`, err),
        );
        const timeoutMs = Number(info.Config.Labels[LABEL.timeout] ?? 0) * 1000;
        const remaining = Date.parse(startedAt) + timeoutMs - Date.now();
        if (timeoutMs > 0) this.later(Math.max(0, remaining), () => this.stop(taskId, TIMEOUT_STOP_REASON));
        await this.docker.getContainer(taskId).wait();
      }
      await this.finish(taskId);
    })()
      .catch((err) => {
        if (!this.closed) console.error(`runner: watching ${taskId} failed:`, err);
      })
      .finally(() => this.watching.delete(taskId));
    this.watching.set(taskId, watcher);
  }

  /** Saves the output, reports STOPPED, then removes the container. Retried until reported. */
  private finish(taskId: string): Promise<void> {
    const running = this.finishing.get(taskId);
    if (running) return running;
    const work = (async () => {
      const info = await this.inspect(taskId);
      if (!info) return;
      const container = this.docker.getContainer(taskId);
      const buffer = (await container.logs({
        stdout: true,
        stderr: true,
        timestamps: true,
        follow: false,
      })) as unknown as Buffer;
      const file = logFileFor(this.options.dataDir, taskId);
      await mkdir(join(this.options.dataDir, 'logs'), { recursive: true });
      const lines = demuxDockerLogs(buffer);
      await writeFile(`${file}.partial`, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
      await rename(`${file}.partial`, file);
      const state = this.state(info, 'STOPPED');
      const stopReason = await readFile(this.stopFile(taskId), 'utf8').catch(() => undefined);
      state.exitCode = info.State.ExitCode;
      state.stopCode = stopReason ? 'UserInitiated' : 'EssentialContainerExited';
      state.stoppedReason = stopReason ?? 'Essential container in task exited';
      await this.writeDone(taskId, state);
      await this.emit(state);
      await container.remove({ force: true }).catch((err: { statusCode?: number }) => {
        // Gone already, or being removed by a racing finish: either way it is going.
        if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
      });
      await rm(this.taskDir(taskId), { recursive: true, force: true });
      await rm(this.stopFile(taskId), { force: true });
    })()
      .catch((err) => {
        if (this.closed) return;
        console.error(`runner: finishing ${taskId} failed, trying again in 5 s:`, (err as Error).message);
        this.later(5000, () => this.finish(taskId));
      })
      .finally(() => this.finishing.delete(taskId));
    this.finishing.set(taskId, work);
    return work;
  }

  private async failToStart(taskId: string, spec: TaskSpec, reason: string): Promise<void> {
    const now = new Date().toISOString();
    const state: LocalTaskState = {
      taskId,
      startedBy: startedByFor(spec.jobId, spec.attempt),
      lastStatus: 'STOPPED',
      createdAt: now,
      stoppedAt: now,
      stopCode: 'TaskFailedToStart',
      stoppedReason: reason,
    };
    await this.writeDone(taskId, state);
    for (let tries = 0; tries < 60 && !this.closed; tries++) {
      try {
        return await this.emit(state);
      } catch (err) {
        console.error(`runner: reporting ${taskId} failed, trying again:`, (err as Error).message);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private state(info: Docker.ContainerInspectInfo, lastStatus: 'RUNNING' | 'STOPPED'): LocalTaskState {
    const labels = info.Config.Labels;
    return {
      taskId: labels[LABEL.task]!,
      startedBy: startedByFor(labels[LABEL.job]!, Number(labels[LABEL.attempt])),
      lastStatus,
      createdAt: info.Created,
      startedAt: info.State.StartedAt,
      ...(lastStatus === 'STOPPED' ? { stoppedAt: info.State.FinishedAt } : {}),
    };
  }

  private emit(state: LocalTaskState): Promise<void> {
    return this.options.onTaskEvent(taskStateChangeEvent(state));
  }

  private async inspect(taskId: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(taskId).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  /** A small record of how each task ended, for describe() once its container is gone. */
  private async writeDone(taskId: string, state: LocalTaskState): Promise<void> {
    const dir = join(this.options.dataDir, 'ended');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${taskId}.json`), JSON.stringify(state));
  }

  private async readDone(taskId: string): Promise<LocalTaskState | undefined> {
    const text = await readFile(join(this.options.dataDir, 'ended', `${taskId}.json`), 'utf8').catch(
      () => undefined,
    );
    return text ? (JSON.parse(text) as LocalTaskState) : undefined;
  }

  private later(ms: number, fn: () => unknown): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      Promise.resolve(fn()).catch((err) => console.error('runner:', err));
    }, ms);
    this.timers.add(timer);
  }

  private taskDir(taskId: string): string {
    return join(this.options.dataDir, 'tasks', taskId);
  }

  private stopFile(taskId: string): string {
    return join(this.options.dataDir, 'stops', taskId);
  }
}

/** The engine cannot be reached at all: only errors of the connection count (a missing file is ENOENT too). */
function isDockerUnreachable(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  return e.syscall === 'connect' || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(e.code ?? '');
}
