import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { DockerTaskLauncher } from '../../lambdas/adapters/docker/DockerTaskLauncher.ts';
import { FileStdinStore } from '../../lambdas/adapters/local/FileStdinStore.ts';
import { outputDirFor } from '../../lambdas/adapters/local/outputFormat.ts';
import type { TaskSpec, TaskUpdate } from '../../lambdas/core/ports.ts';
import type { Worker } from '../../lambdas/core/schemas.ts';
import { workerFixture } from '../support/fixtures.ts';
import { ensureTestImages } from '../support/images.ts';
import { waitFor } from '../support/waitFor.ts';

const run = promisify(execFile);

/** The Docker runner on its own: what it tells the status handler, and what it leaves in Docker. */
describe('the Docker runner', () => {
  let dataDir = '';
  const events: TaskUpdate[] = [];
  const launchers: DockerTaskLauncher[] = [];
  let n = 0;

  before(async () => {
    await ensureTestImages();
    dataDir = await mkdtemp(join(tmpdir(), 'runlater-runner-'));
  });
  after(async () => {
    for (const l of launchers) await l.close();
    const { stdout } = await run('docker', [
      'ps',
      '-aq',
      '--filter',
      `label=runlater.task`,
      '--filter',
      `name=runlater-runnertest`,
    ]);
    for (const id of stdout.split('\n').filter(Boolean)) await run('docker', ['rm', '-f', id]);
    await rm(dataDir, { recursive: true, force: true });
  });

  function launcher(onTaskEvent = async (e: TaskUpdate) => void events.push(e)) {
    const l = new DockerTaskLauncher({
      dataDir,
      stdinStore: new FileStdinStore(join(dataDir, 'stdin')),
      onTaskEvent,
      stopGraceSeconds: 1,
    });
    launchers.push(l);
    return l;
  }

  function spec(worker: Partial<Worker>): TaskSpec {
    const id = `runnertest${String(++n).padStart(16, '0')}`;
    return {
      clientToken: `${id}-1`,
      jobId: id,
      attempt: 1,
      worker: workerFixture(worker),
      env: { RUNLATER_JOB_ID: id, RUNLATER_ATTEMPT: '1' },
      stdin: { bytes: 0, inlineBase64: '' },
      timeoutSeconds: 60,
    };
  }

  const stoppedEvent = (taskId: string) =>
    waitFor(`the STOPPED event of ${taskId}`, () =>
      events.find((e) => e.taskId === taskId && e.state === 'stopped'),
    );

  it('reports an unreachable registry as a task that did not run, for a reason that may pass', async () => {
    const { taskId } = await launcher().launch(
      spec({ image: 'localhost:1/runlater-test/missing:1', command: undefined }),
    );
    const stopped = await stoppedEvent(taskId);
    // No registry answers on localhost:1: a pull that may work later, retried as infrastructure.
    assert.equal(stopped.cause, 'infrastructure');
    assert.match(stopped.reason ?? '', /^CannotPullContainerError: localhost:1\/runlater-test\/missing:1/);
    assert.equal(stopped.exitCode, null);
  });

  it('launching one attempt twice runs one container', async () => {
    const l = launcher();
    const s = spec({ command: ['sh', '-c', 'echo once'] });
    const [a, b] = await Promise.all([l.launch(s), l.launch(s)]);
    assert.equal(a.taskId, b.taskId);
    await stoppedEvent(a.taskId);
    const out = await readFile(join(outputDirFor(dataDir, a.taskId), 'stdout'), 'utf8');
    assert.equal(out, 'once\n');
  });

  it('stop() ends the task with UserInitiated and the reason given', async () => {
    const l = launcher();
    const { taskId } = await l.launch(spec({ command: ['sleep', '30'] }));
    await waitFor('RUNNING', () => events.find((e) => e.taskId === taskId && e.state === 'running'));
    await l.stop(taskId, 'runlater: cancelled');
    const stopped = await stoppedEvent(taskId);
    assert.equal(stopped.cause, 'stopped-by-request');
    assert.equal(stopped.reason, 'runlater: cancelled');
  });

  it('a task that ended while nobody watched is reported, saved and removed by recover()', async () => {
    // The first runner "crashes": none of its events gets through, as if it were killed first.
    const crashed = launcher(async () => {
      throw new Error('killed');
    });
    const { taskId } = await crashed.launch(spec({ command: ['sh', '-c', 'echo survived; exit 4'] }));
    await run('docker', ['wait', taskId]);
    await crashed.close();
    await launcher().recover();
    const stopped = await stoppedEvent(taskId);
    assert.equal(stopped.exitCode, 4);
    assert.equal(await readFile(join(outputDirFor(dataDir, taskId), 'stdout'), 'utf8'), 'survived\n');
    await waitFor('the container to be removed', async () => {
      const { stdout } = await run('docker', ['ps', '-aq', '--filter', `name=^${taskId}$`]);
      return stdout.trim() === '' ? true : undefined;
    });
    assert.equal(
      (await launchers.at(-1)!.describe(taskId))?.exitCode,
      4,
      'describe() still knows how it ended',
    );
  });
});
