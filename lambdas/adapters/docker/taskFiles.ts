import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalTaskState } from './taskEvents.ts';

/** How a task ended, kept after its container is gone (describe() reads it; so do idempotent launches). */
export interface EndedTask extends LocalTaskState {
  /** false until onTaskEvent accepted the STOPPED event: recover() sends it again. */
  reported: boolean;
}

/**
 * What the Docker runner keeps on disk about its tasks, beside the containers themselves, so that
 * a crash of the process loses nothing: the shim directory each container mounts, stop reasons
 * (a timeout or a cancel must still be reported as such after a restart) and how each task ended.
 * Its output has files of its own (LogCollector). Everything is for this user alone (0600): an
 * end record or a stop reason can quote the job's env.
 */
export class TaskFiles {
  constructor(private readonly dataDir: string) {}

  taskDir(taskId: string): string {
    return join(this.dataDir, 'tasks', taskId);
  }

  /** Records why runlater stops a task. The first reason wins: a cancel racing a timeout keeps the earlier. */
  async writeStopReason(taskId: string, reason: string): Promise<void> {
    await mkdir(join(this.dataDir, 'stops'), { recursive: true, mode: 0o700 });
    await writeFile(this.stopFile(taskId), reason, { flag: 'wx', mode: 0o600 }).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      },
    );
  }

  async readStopReason(taskId: string): Promise<string | undefined> {
    return readFile(this.stopFile(taskId), 'utf8').catch(ifMissing(undefined));
  }

  // LocalRetention deletes ended/<taskId>.json along with the log file: keep the two paths in step.
  async writeEnded(state: EndedTask): Promise<void> {
    await atomicWrite(this.endedFile(state.taskId), JSON.stringify(state));
  }

  async readEnded(taskId: string): Promise<EndedTask | undefined> {
    const text = await readFile(this.endedFile(taskId), 'utf8').catch(ifMissing(undefined));
    return text === undefined ? undefined : (JSON.parse(text) as EndedTask);
  }

  /** Ended tasks whose STOPPED event was not accepted yet (start failures: they have no container). */
  async unreported(): Promise<EndedTask[]> {
    const names = await readdir(join(this.dataDir, 'ended')).catch(ifMissing([] as string[]));
    const found: EndedTask[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const ended = await this.readEnded(name.slice(0, -'.json'.length)).catch(() => undefined);
      if (ended && !ended.reported) found.push(ended);
    }
    return found;
  }

  /** Once the end is reported: the container's files go, its output and end record stay. */
  async removeWorkFiles(taskId: string): Promise<void> {
    await rm(this.taskDir(taskId), { recursive: true, force: true });
    await rm(this.stopFile(taskId), { force: true });
  }

  private stopFile(taskId: string): string {
    return join(this.dataDir, 'stops', taskId);
  }

  private endedFile(taskId: string): string {
    return join(this.dataDir, 'ended', `${taskId}.json`);
  }
}

async function atomicWrite(path: string, data: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, data, { mode: 0o600 });
  await rename(partial, path);
}

function ifMissing<T>(value: T): (err: NodeJS.ErrnoException) => T {
  return (err) => {
    if (err.code === 'ENOENT') return value;
    throw err;
  };
}
