import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { outputDirFor } from '../../lambdas/adapters/local/outputFormat.ts';
import { TIMEOUT_STOP_REASON } from '../../lambdas/core/taskSpec.ts';
import { ensureTestImages } from '../support/images.ts';
import { waitFor } from '../support/waitFor.ts';
import { launcherHarness } from './harness.ts';

const run = promisify(execFile);

async function containerStatus(taskId: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('docker', ['inspect', '--format', '{{.State.Status}}', taskId]);
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/**
 * The runner's process can die at any time (the dev server is kill -9'd in the durability test):
 * containers keep running in dockerd, and a new runner on the same data directory takes them up.
 */
describe('DockerTaskLauncher after a restart', () => {
  let h: Awaited<ReturnType<typeof launcherHarness>>;

  before(async () => {
    await ensureTestImages();
    h = await launcherHarness();
  });
  after(() => h.cleanup());

  it('finishes a container that exited while nobody watched: output kept, STOPPED sent, container removed', async () => {
    const first = h.newLauncher();
    const { taskId } = await first.launch(h.spec({ command: ['sh', '-c', 'sleep 1; echo done; exit 5'] }));
    await h.event(taskId, 'RUNNING');
    await first.close();
    await waitFor(async () => (await containerStatus(taskId)) === 'exited', { message: 'the job to exit' });
    assert.equal(h.events.filter((e) => e.state === 'stopped').length, 0);

    await h.newLauncher().recover();
    const stopped = await h.event(taskId, 'STOPPED');
    assert.equal(stopped.exitCode, 5);
    assert.equal(stopped.cause, 'exited');
    assert.equal((await h.output(taskId, 'stdout')).toString(), 'done\n');
    await h.waitGone(taskId);
    await access(outputDirFor(h.dataDir, taskId));
    await assert.rejects(access(join(h.dataDir, 'tasks', taskId)), /ENOENT/);
  });

  it('takes up a running container: RUNNING again, and its timeout still counts from its start', async () => {
    const first = h.newLauncher();
    const { taskId } = await first.launch(h.spec({ command: ['sleep', '60'] }, { timeoutSeconds: 3 }));
    const running = await h.event(taskId, 'RUNNING');
    await first.close();
    h.events.length = 0;

    await h.newLauncher().recover();
    await h.event(taskId, 'RUNNING');
    const stopped = await h.event(taskId, 'STOPPED', 20_000);
    assert.equal(stopped.cause, 'stopped-by-request');
    assert.ok(stopped.reason?.startsWith(TIMEOUT_STOP_REASON));
    const ranMs = stopped.phases!.stoppedAt!.getTime() - running.phases!.startedAt!.getTime();
    assert.ok(ranMs >= 3000 && ranMs < 10_000, `ran ${ranMs} ms`);
  });

  it('keeps a stop reason across a restart', async () => {
    const first = h.newLauncher();
    const { taskId } = await first.launch(h.spec({ command: ['sleep', '60'] }));
    await h.event(taskId, 'RUNNING');
    await first.stop(taskId, 'runlater: cancelled');
    await first.close();
    await waitFor(async () => (await containerStatus(taskId)) === 'exited', { message: 'the job to stop' });

    await h.newLauncher().recover();
    const stopped = await h.event(taskId, 'STOPPED');
    assert.equal(stopped.cause, 'stopped-by-request');
    assert.equal(stopped.reason, 'runlater: cancelled');
  });

  it('keeps a container whose STOPPED event was refused, and reports it again later', async () => {
    let refused = 0;
    const refusing = h.newLauncher(async (e) => {
      if (e.state === 'stopped') {
        refused++;
        throw new Error('the status handler is down');
      }
    });
    const { taskId } = await refusing.launch(h.spec({ command: ['sh', '-c', 'echo kept'] }));
    await waitFor(() => refused > 0, { message: 'the STOPPED event to be refused' });
    await refusing.close();
    assert.equal(await containerStatus(taskId), 'exited');

    await h.newLauncher().recover();
    assert.equal((await h.event(taskId, 'STOPPED')).exitCode, 0);
    assert.equal((await h.output(taskId, 'stdout')).toString(), 'kept\n');
    await h.waitGone(taskId);
  });

  it('reports a start failure that was not accepted before the restart', async () => {
    const refusing = h.newLauncher(async () => {
      throw new Error('the status handler is down');
    });
    const { taskId } = await refusing.launch(h.spec({ image: 'runlater-test/no-such-image:2' }));
    await refusing.close();

    await h.newLauncher().recover();
    const stopped = await h.event(taskId, 'STOPPED');
    assert.ok(['start-failed', 'infrastructure'].includes(stopped.cause!), stopped.cause);
  });

  it("reports a container that cannot start as a start failure, with Docker's reason", async () => {
    // As a crash between create and start leaves one, with an entrypoint runc cannot exec.
    const spec = h.spec({});
    const taskId = `runlater-${spec.clientToken}`;
    const labels = {
      task: taskId,
      job: spec.jobId,
      attempt: '1',
      timeout: '60',
      dataDir: resolve(h.dataDir),
    };
    await run('docker', [
      'create',
      '--name',
      taskId,
      ...Object.entries(labels).flatMap(([k, v]) => ['--label', `runlater.${k}=${v}`]),
      '--entrypoint',
      '/no/such/program',
      'runlater-test/busybox',
    ]);
    await h.newLauncher().recover();
    const stopped = await h.event(taskId, 'STOPPED');
    assert.equal(stopped.cause, 'start-failed');
    assert.match(stopped.reason ?? '', /^CannotStartContainerError: .*no such file/);
    assert.equal(stopped.exitCode, null);
    await h.waitGone(taskId);
  });

  it("leaves other runners' containers alone", async () => {
    const other = await launcherHarness();
    try {
      const theirs = other.newLauncher();
      const { taskId } = await theirs.launch(other.spec({ command: ['sleep', '60'] }));
      await other.event(taskId, 'RUNNING');
      await theirs.close();
      h.events.length = 0;
      const mine = h.newLauncher();
      await mine.recover();
      await mine.stop(taskId, 'not mine');
      assert.equal(await mine.describe(taskId), undefined);
      assert.equal(await containerStatus(taskId), 'running');
      assert.equal(h.events.length, 0);
    } finally {
      await other.cleanup();
    }
  });
});
