import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { DockerTaskLauncher } from '../../lambdas/adapters/docker/DockerTaskLauncher.ts';
import { RetryLaterError } from '../../lambdas/core/errors.ts';
import { CANCEL_STOP_REASON, TIMEOUT_STOP_REASON } from '../../lambdas/core/taskSpec.ts';
import { ensureTestImages } from '../support/images.ts';
import { waitFor } from '../support/waitFor.ts';
import { launcherHarness } from './harness.ts';

const run = promisify(execFile);

/** The Docker runner against the real engine, judged by what a user sees: events, exit codes, output. */
describe('DockerTaskLauncher', () => {
  let h: Awaited<ReturnType<typeof launcherHarness>>;
  let launcher: DockerTaskLauncher;

  before(async () => {
    await ensureTestImages();
    h = await launcherHarness();
    launcher = h.newLauncher();
    await launcher.recover();
  });
  after(() => h.cleanup());

  it('gives cat its stdin byte for byte, in images with and without a shell', async () => {
    const text = Buffer.from('hello\nwörld\n\tno newline at the end');
    const binary = randomBytes(1024 * 1024);
    const images = [
      { image: 'runlater-test/busybox', command: ['cat'] }, // `cat` found on the image's PATH
      { image: 'runlater-test/noshell' }, // the image's own ENTRYPOINT, and no shell at all
    ];
    const cases = await Promise.all(
      images.flatMap((worker) =>
        [text, binary, Buffer.alloc(0)].map(async (bytes, i) => {
          const spec = h.spec(worker);
          // The large one goes through the blob store, as the API sends big stdin.
          spec.stdin = i === 1 ? await h.blob(spec.jobId, bytes) : h.inline(bytes);
          return { worker, bytes, taskId: (await launcher.launch(spec)).taskId };
        }),
      ),
    );
    for (const c of cases) {
      const stopped = await h.event(c.taskId, 'STOPPED');
      const label = `${c.worker.image}, ${c.bytes.length} bytes`;
      assert.equal(stopped.cause, 'exited', label);
      assert.equal(stopped.exitCode, 0, label);
      assert.ok((await h.output(c.taskId, 'stdout')).equals(c.bytes), label);
      assert.equal((await h.output(c.taskId, 'stderr')).length, 0, label);
    }
  });

  it('keeps stdout and stderr apart and in order, with the exit code, and follows by cursor', async () => {
    const script =
      'echo out1; sleep 0.2; echo err1 >&2; sleep 0.2; echo out2; sleep 0.2; echo err2 >&2; exit 3';
    const { taskId } = await launcher.launch(h.spec({ command: ['sh', '-c', script] }));
    const stopped = await h.event(taskId, 'STOPPED');
    assert.equal(stopped.exitCode, 3);
    const all = await h.lines(taskId);
    assert.deepEqual(
      all.map((l) => [l.stream, l.text]),
      [
        ['stdout', 'out1'],
        ['stderr', 'err1'],
        ['stdout', 'out2'],
        ['stderr', 'err2'],
      ],
    );
    assert.ok(all.every((l) => !Number.isNaN(Date.parse(l.timestamp))));

    const first = await h.logs.read({ jobId: '', attempt: 1, taskId, stream: 'stderr', limit: 1 });
    assert.deepEqual(
      first.lines.map((l) => l.text),
      ['err1'],
    );
    const rest = await h.logs.read({
      jobId: '',
      attempt: 1,
      taskId,
      stream: 'stderr',
      limit: 10,
      cursor: first.nextCursor,
    });
    assert.deepEqual(
      rest.lines.map((l) => l.text),
      ['err2'],
    );
    const none = await h.logs.read({
      jobId: '',
      attempt: 1,
      taskId,
      stream: 'stderr',
      limit: 10,
      cursor: rest.nextCursor,
    });
    assert.deepEqual(none, { lines: [], nextCursor: rest.nextCursor });
  });

  it('serves output while the task runs, and a cursor taken then still holds once it has ended', async () => {
    const { taskId } = await launcher.launch(h.spec({ command: ['sh', '-c', 'echo first; sleep 60'] }));
    const query = { jobId: '', attempt: 1, taskId, stream: 'all' as const, limit: 100 };
    const live = await waitFor(
      async () => {
        const page = await h.logs.read(query);
        return page.lines.length > 0 ? page : undefined;
      },
      { message: 'the first line, read from the running container' },
    );
    assert.deepEqual(
      live.lines.map((l) => [l.stream, l.text, l.partial]),
      [['stdout', 'first', undefined]],
    );
    await launcher.stop(taskId, CANCEL_STOP_REASON);
    await h.event(taskId, 'STOPPED');
    await h.waitGone(taskId); // from here on, only the saved file has the output
    assert.deepEqual(await h.logs.read({ ...query, cursor: live.nextCursor }), {
      lines: [],
      nextCursor: live.nextCursor,
    });
    assert.deepEqual((await h.logs.read(query)).lines, live.lines);
  });

  it('passes argv as given, and finds bare names on the PATH of the container', async () => {
    const argv = await launcher.launch(
      h.spec({ command: ['sh', '-c', 'printf "%s|" "$@"', 'argv0', 'a b', '*', '', '$HOME'] }),
    );
    // With nothing on PATH, `cat` is not found: the shim did not fall back to busybox's own applet.
    const noPath = await launcher.launch(h.spec({ command: ['cat'], env: { PATH: '/nowhere' } }));
    assert.equal((await h.event(argv.taskId, 'STOPPED')).exitCode, 0);
    assert.equal((await h.output(argv.taskId, 'stdout')).toString(), 'a b|*||$HOME|');
    assert.equal((await h.event(noPath.taskId, 'STOPPED')).exitCode, 127);
    assert.match(
      (await h.output(noPath.taskId, 'stderr')).toString(),
      /runlater shim: cat: not found on PATH/,
    );
  });

  it("overlays the job's env on the worker's, and adds RUNLATER_JOB_ID and RUNLATER_ATTEMPT", async () => {
    const spec = h.spec(
      { command: ['env'], env: { FROM_WORKER: 'w', BOTH: 'worker' } },
      { env: { BOTH: 'job', FROM_JOB: 'j' } },
    );
    const { taskId } = await launcher.launch(spec);
    await h.event(taskId, 'STOPPED');
    const env = new Map(
      (await h.output(taskId, 'stdout'))
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    assert.equal(env.get('FROM_WORKER'), 'w');
    assert.equal(env.get('FROM_JOB'), 'j');
    assert.equal(env.get('BOTH'), 'job');
    assert.equal(env.get('RUNLATER_JOB_ID'), spec.jobId);
    assert.equal(env.get('RUNLATER_ATTEMPT'), '1');
  });

  it('stops a task at its timeout, and reports it as stopped for that reason', async () => {
    const { taskId } = await launcher.launch(h.spec({ command: ['sleep', '60'] }, { timeoutSeconds: 1 }));
    const running = await h.event(taskId, 'RUNNING');
    const stopped = await h.event(taskId, 'STOPPED', 20_000);
    assert.equal(stopped.cause, 'stopped-by-request');
    assert.ok(stopped.reason?.startsWith(TIMEOUT_STOP_REASON));
    const ranMs = stopped.phases!.stoppedAt!.getTime() - running.phases!.startedAt!.getTime();
    assert.ok(ranMs >= 1000 && ranMs < 10_000, `ran ${ranMs} ms`);
  });

  it('stop() ends a running task at once (SIGTERM, then SIGKILL), reported as stopped by request', async () => {
    const { taskId } = await launcher.launch(h.spec({ command: ['sleep', '60'] }));
    await h.event(taskId, 'RUNNING');
    const asked = Date.now();
    await launcher.stop(taskId, CANCEL_STOP_REASON);
    assert.ok(Date.now() - asked < 900, 'stop() answers before the grace period is over');
    const stopped = await h.event(taskId, 'STOPPED');
    assert.equal(stopped.cause, 'stopped-by-request');
    assert.equal(stopped.reason, CANCEL_STOP_REASON);
    assert.equal(stopped.exitCode, 137); // sleep as pid 1 ignores SIGTERM
    await launcher.stop(taskId, 'again'); // an ended task: nothing happens
    await launcher.stop('runlater-no-such-task', 'x');
    assert.deepEqual(await launcher.describe(taskId), {
      state: 'stopped',
      exitCode: 137,
      cause: 'stopped-by-request',
      reason: CANCEL_STOP_REASON,
      phases: stopped.phases,
    });
  });

  it('reports a missing image as a task that did not run, and launch still answers', async () => {
    const spec = h.spec({ image: 'runlater-test/no-such-image:1' });
    const { taskId } = await launcher.launch(spec);
    const stopped = await h.event(taskId, 'STOPPED');
    // A registry that says "no such image" is the job's fault; one that cannot be reached (this
    // machine may be offline) may pass: either way the program never ran.
    assert.ok(['start-failed', 'infrastructure'].includes(stopped.cause!), stopped.cause);
    assert.match(stopped.reason ?? '', /^CannotPullContainerError: /);
    assert.equal(stopped.exitCode, null);
    assert.equal((await launcher.describe(taskId))?.cause, stopped.cause);
    // A redelivered dispatch of the same attempt gets the same, ended task: no second report.
    assert.deepEqual(await launcher.launch(spec), { taskId });
    assert.equal(h.events.filter((e) => e.taskId === taskId).length, 1);
  });

  it('runs one container for one client token, however often it is launched', async () => {
    const spec = h.spec({ command: ['sleep', '60'], cpu: 512, memory: 1024 });
    const answers = await Promise.all([launcher.launch(spec), launcher.launch(spec), launcher.launch(spec)]);
    const { taskId } = answers[0]!;
    assert.deepEqual(answers, [{ taskId }, { taskId }, { taskId }]);
    assert.deepEqual(await launcher.launch(spec), { taskId });
    const ids = await h.containers(`runlater.job=${spec.jobId}`);
    assert.equal(ids.length, 1);
    const { stdout } = await run('docker', [
      'inspect',
      '--format',
      '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.LogConfig.Type}}',
      ids[0]!,
    ]);
    assert.equal(stdout.trim(), `${1024 * 1024 * 1024} 500000000 local`);
    await launcher.stop(taskId, CANCEL_STOP_REASON);
    await h.event(taskId, 'STOPPED');
    await h.waitGone(taskId);
    // Once it has ended and its container is gone, the token still names that task.
    assert.deepEqual(await launcher.launch(spec), { taskId });
    assert.deepEqual(await h.containers(`runlater.job=${spec.jobId}`), []);
  });

  it('throws RetryLaterError when the Docker engine cannot be reached', async () => {
    const unreachable = new DockerTaskLauncher({
      dataDir: h.dataDir,
      stdinStore: h.stdinStore,
      onTaskEvent: async () => {},
      docker: new Docker({ socketPath: '/nonexistent/docker.sock' }),
    });
    const spec = h.spec({ command: ['true'] });
    await assert.rejects(
      unreachable.launch(spec),
      (err) => err instanceof RetryLaterError && err.reason === 'unavailable',
    );
    await assert.rejects(unreachable.recover(), RetryLaterError);
    await unreachable.close();
  });
});
