import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DockerTaskLauncher } from '../../lambdas/adapters/docker/DockerTaskLauncher.ts';
import { FileStdinStore } from '../../lambdas/adapters/local/FileStdinStore.ts';
import { LocalLogReader } from '../../lambdas/adapters/local/LocalLogReader.ts';
import { newJobId } from '../../lambdas/core/ids.ts';
import type { StdinRef, TaskSpec, TaskUpdate } from '../../lambdas/core/ports.ts';
import type { LogLine, Worker } from '../../lambdas/core/schemas.ts';
import { clientTokenFor, runlaterEnv } from '../../lambdas/core/taskSpec.ts';
import { workerFixture } from '../support/fixtures.ts';
import { waitFor } from '../support/waitFor.ts';
import { removeContainersOf } from '../support/containers.ts';

const run = promisify(execFile);

/**
 * A Docker runner on a fresh data directory, with what a test needs to look at it as a user
 * would: the events it sent, the output it kept. `cleanup()` removes every container it made.
 */
export async function launcherHarness() {
  const dataDir = await mkdtemp(join(tmpdir(), 'runlater-docker-'));
  const stdinStore = new FileStdinStore(join(dataDir, 'stdin'));
  const logs = new LocalLogReader({ dataDir });
  const events: TaskUpdate[] = [];
  const launchers: DockerTaskLauncher[] = [];

  /** A launcher on this data directory; `onTaskEvent` may refuse events (throw) to test redelivery. */
  function newLauncher(onTaskEvent?: (e: TaskUpdate) => Promise<void>): DockerTaskLauncher {
    const launcher = new DockerTaskLauncher({
      dataDir,
      stdinStore,
      stopGraceSeconds: 1,
      onTaskEvent:
        onTaskEvent ??
        (async (e) => {
          events.push(e);
        }),
    });
    launchers.push(launcher);
    return launcher;
  }

  function spec(
    worker: Partial<Worker>,
    job: { env?: Record<string, string>; stdin?: StdinRef; timeoutSeconds?: number } = {},
  ): TaskSpec {
    const jobId = newJobId();
    const attempt = 1;
    return {
      clientToken: clientTokenFor(jobId, attempt),
      jobId,
      attempt,
      worker: workerFixture(worker),
      env: { ...job.env, ...runlaterEnv(jobId, attempt) },
      stdin: job.stdin ?? { bytes: 0, inlineBase64: '' },
      timeoutSeconds: job.timeoutSeconds ?? 60,
    };
  }

  function inline(bytes: Buffer): StdinRef {
    return { bytes: bytes.length, inlineBase64: bytes.toString('base64') };
  }

  async function blob(jobId: string, bytes: Buffer): Promise<StdinRef> {
    return { bytes: bytes.length, blobKey: await stdinStore.put(jobId, bytes) };
  }

  function event(taskId: string, lastStatus: 'RUNNING' | 'STOPPED', timeoutMs = 30_000) {
    return waitFor(() => events.find((e) => e.taskId === taskId && e.state === lastStatus.toLowerCase()), {
      timeoutMs,
      message: `${lastStatus} of ${taskId}`,
    });
  }

  async function lines(taskId: string, stream: 'stdout' | 'stderr' | 'all' = 'all'): Promise<LogLine[]> {
    const page = await logs.read({ jobId: '', attempt: 1, taskId, stream, limit: 1_000_000 });
    return page.lines;
  }

  /** A stream's bytes as the user gets them back: lines joined again with their newlines. */
  async function output(taskId: string, stream: 'stdout' | 'stderr'): Promise<Buffer> {
    const parts = (await lines(taskId, stream)).map((l) =>
      Buffer.concat([
        l.base64 !== undefined ? Buffer.from(l.base64, 'base64') : Buffer.from(l.text ?? '', 'utf8'),
        Buffer.from(l.partial ? '' : '\n'),
      ]),
    );
    return Buffer.concat(parts);
  }

  /** This data directory's containers, by the label the runner gives them. */
  async function containers(extraLabel?: string): Promise<string[]> {
    // Job containers only: the network sandboxes they join carry the data directory's label too.
    const filters = [
      '--filter',
      `label=runlater.dataDir=${resolve(dataDir)}`,
      '--filter',
      'label=runlater.task',
    ];
    if (extraLabel) filters.push('--filter', `label=${extraLabel}`);
    const { stdout } = await run('docker', ['ps', '-aq', ...filters]);
    return stdout.split('\n').filter(Boolean);
  }

  /** Waits until the runner has removed the task's container (it does, once STOPPED is accepted). */
  function waitGone(taskId: string, timeoutMs = 30_000) {
    return waitFor(
      async () => {
        const { stdout } = await run('docker', ['ps', '-aq', '--filter', `name=^${taskId}$`]);
        return stdout.trim() === '';
      },
      { timeoutMs, message: `the container of ${taskId} to be removed` },
    );
  }

  async function cleanup(): Promise<void> {
    for (const launcher of launchers) await launcher.close();
    await removeContainersOf(resolve(dataDir)); // its jobs' and their network sandboxes'
    await rm(dataDir, { recursive: true, force: true });
  }

  return {
    dataDir,
    stdinStore,
    logs,
    events,
    newLauncher,
    spec,
    inline,
    blob,
    event,
    lines,
    output,
    containers,
    waitGone,
    cleanup,
  };
}
