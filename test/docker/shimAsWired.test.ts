import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EcsTaskDefinitions } from '../../lambdas/adapters/ecs/EcsTaskDefinitions.ts';
import { EcsTaskLauncher } from '../../lambdas/adapters/ecs/EcsTaskLauncher.ts';
import type { Worker } from '../../lambdas/core/schemas.ts';
import { stageShimImageContext } from '../../lib/shimImage.ts';
import { workerFixture } from '../support/fixtures.ts';
import { ensureTestImages } from '../support/images.ts';

const run = promisify(execFile);

/**
 * Builds the init image from the context `cdk deploy` builds it from (lib/shimImage.ts), offline
 * (FROM scratch: nothing to pull), tagged by its content so parallel checkouts do not collide.
 */
async function buildInitImage(): Promise<string> {
  const context = stageShimImageContext();
  try {
    const hash = createHash('sha256');
    for (const name of (await readdir(context)).sort())
      hash.update(name).update(await readFile(join(context, name)));
    const tag = `runlater-test/init:${hash.digest('hex').slice(0, 16)}`;
    await run('docker', ['build', '-q', '-t', tag, context], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
    });
    return tag;
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

/**
 * The task definition's two containers, run for real in Docker: the init image built from this
 * repo fills a volume from the env RunTask gives it (inline stdin, or a URL to an object store,
 * here one on loopback), then the job container runs with its entryPoint and environment as
 * RegisterTaskDefinition gets them.
 */
describe('the shim, as the ECS task definition wires it, in Docker', () => {
  let objectStore: Server;
  let storeUrl = '';
  let initImage = '';
  const objects = new Map<string, Buffer>();
  const dirs: string[] = [];

  before(async () => {
    await ensureTestImages();
    initImage = await buildInitImage();
    objectStore = createServer((req, res) => {
      const body = objects.get(req.url ?? '');
      res.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((r) => objectStore.listen(0, '127.0.0.1', r));
    storeUrl = `http://127.0.0.1:${(objectStore.address() as AddressInfo).port}`;
  });
  after(async () => {
    objectStore.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function taskDefinition(worker: Partial<Worker>, imageCommand?: string[]) {
    const defs = new EcsTaskDefinitions(
      new ECSClient({ region: 'eu-west-1' }),
      {
        executionRoleArn: 'arn:role',
        shimImage: 'shim',
        logGroupName: 'jobs',
        region: 'eu-west-1',
      },
      async () => ({ entrypoint: imageCommand ?? [], cmd: [] }),
    );
    return (await defs.input(workerFixture(worker))).containerDefinitions!;
  }

  async function containerDefinition(worker: Partial<Worker>, imageCommand?: string[]) {
    return (await taskDefinition(worker, imageCommand)).find((c) => c.name === 'job')!;
  }

  /**
   * Runs the init container as the task definition has it (its image's own ENTRYPOINT, the shared
   * volume at its mount point, writable) with RunTask's override env. Host network: the test's
   * object store listens on 127.0.0.1.
   */
  async function runInit(dir: string, initEnv: Record<string, string>) {
    const init = (await taskDefinition({ command: ['true'] })).find((c) => c.name === 'runlater-init')!;
    assert.equal(init.entryPoint, undefined);
    const mount = init.mountPoints![0]!;
    const args = [
      'run',
      '--rm',
      '--network',
      'host',
      '-v',
      `${dir}:${mount.containerPath}${mount.readOnly ? ':ro' : ''}`,
    ];
    for (const [k, v] of Object.entries(initEnv)) args.push('-e', `${k}=${v}`);
    try {
      await run('docker', [...args, initImage]);
      return { code: 0, stderr: '' };
    } catch (err) {
      const e = err as { code: number; stderr: string };
      return { code: e.code, stderr: e.stderr };
    }
  }

  async function volume(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'runlater-volume-'));
    dirs.push(dir);
    return dir;
  }

  /**
   * The init container into a fresh volume, then the `docker run` arguments that start the job
   * container as ECS would (after the init container's SUCCESS).
   */
  async function dockerRunArgs(
    job: Awaited<ReturnType<typeof containerDefinition>>,
    initEnv: Record<string, string>,
    dockerOptions: string[] = [],
  ): Promise<string[]> {
    const dir = await volume();
    const init = await runInit(dir, initEnv);
    assert.equal(init.code, 0, `the init container failed: ${init.stderr}`);
    const env = (job.environment ?? []).map((e) => `${e.name}=${e.value}`);
    const [entry, ...args] = job.entryPoint!;
    return [
      'run',
      ...dockerOptions,
      '--log-driver',
      'local',
      '-v',
      `${dir}:/runlater:ro`,
      ...env.flatMap((e) => ['-e', e]),
      '--entrypoint',
      entry!,
      job.image!,
      ...args,
    ];
  }

  /** Runs the task to its end: the exit code and what the container wrote. */
  async function runTask(
    job: Awaited<ReturnType<typeof containerDefinition>>,
    initEnv: Record<string, string>,
  ) {
    const argv = await dockerRunArgs(job, initEnv, ['--rm']);
    try {
      const { stdout, stderr } = await run('docker', argv, {
        encoding: 'buffer',
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: 0, stdout: stdout as Buffer, stderr: stderr as Buffer };
    } catch (err) {
      const e = err as { code: number; stdout: Buffer; stderr: Buffer };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  /** What awslogs would store: one event per line of the container's output. */
  const lines = (out: Buffer | string) => String(out).split('\n').slice(0, -1);
  const tagged = (tag: 'o' | 'e', text: string) => text.split('\n').map((l) => `${tag} ${l}`);

  it('inline stdin, an image with a shell: every line tagged with its stream', async () => {
    const job = await containerDefinition({
      command: ['sh', '-c', 'cat; echo " $GREETING"'],
      env: { GREETING: 'from the worker' },
    });
    const out = await runTask(job, {
      RUNLATER_STDIN_B64: Buffer.from('hello\nworld').toString('base64'),
      RUNLATER_STDIN_SHA256: createHash('sha256').update('hello\nworld').digest('hex'),
    });
    assert.equal(out.code, 0);
    assert.deepEqual(lines(out.stdout), tagged('o', 'hello\nworld from the worker'));
    assert.equal(String(out.stderr), '');
  });

  it('empty env values reach the program set and empty, though ECS drops them from the task', async () => {
    const worker = workerFixture({
      command: ['sh', '-c', 'echo "${FROM_WORKER+set}:${FROM_JOB+set}:$FROM_JOB"'],
      env: { FROM_WORKER: '' },
    });
    const job = await containerDefinition(worker);
    const launcher = new EcsTaskLauncher(
      new ECSClient({ region: 'eu-west-1' }),
      {
        put: async () => '',
        copy: async () => '',
        url: async () => '',
        read: async () => new Uint8Array(),
        delete: async () => {},
      },
      {
        cluster: 'c',
        network: { subnets: ['s'], securityGroups: ['g'], assignPublicIp: false },
      },
    );
    const input = await launcher.runTaskInput({
      clientToken: 't',
      jobId: 'j',
      attempt: 1,
      worker,
      env: { FROM_JOB: '' },
      stdin: { bytes: 0, inlineBase64: '' },
      timeoutSeconds: 60,
    });
    const overrides = input.overrides!.containerOverrides!.find((c) => c.name === 'job')!.environment!;
    // What ECS does: the task's env, the overrides on top, and every empty value dropped.
    const env = new Map([...(job.environment ?? []), ...overrides].map((e) => [e.name!, e.value!]));
    const ecsEnv = [...env].filter(([, v]) => v !== '').map(([name, value]) => ({ name, value }));
    const out = await runTask({ ...job, environment: ecsEnv }, { RUNLATER_STDIN_B64: '' });
    assert.equal(out.code, 0, String(out.stderr));
    assert.deepEqual(lines(out.stdout), ['o set:set:']);
  });

  it("stderr lines tagged apart from stdout's, the program's exit code kept", async () => {
    const job = await containerDefinition({
      command: ['sh', '-c', 'echo out1; echo err1 >&2; echo out2; printf "err2 no newline" >&2; exit 3'],
    });
    const out = await runTask(job, { RUNLATER_STDIN_B64: '' });
    assert.equal(out.code, 3);
    assert.deepEqual(lines(out.stdout), tagged('o', 'out1\nout2'));
    assert.deepEqual(lines(out.stderr), tagged('e', 'err1\nerr2 no newline'));
  });

  it('cuts a line over 16,000 bytes into tagged lines, never inside a UTF-8 character', async () => {
    // 39,999 bytes: ASCII, then two-byte characters straddling the 16,000-byte cuts.
    const long = 'a'.repeat(15_999) + 'é'.repeat(12_000);
    const job = await containerDefinition({ image: 'runlater-test/noshell' }, ['/cat']);
    const out = await runTask(job, {
      RUNLATER_STDIN_B64: Buffer.from(`${long}\nshort\n`).toString('base64'),
    });
    const got = lines(out.stdout);
    assert.deepEqual(
      got.map((l) => Buffer.byteLength(l)),
      [2 + 15_999, 2 + 16_000, 2 + 8_000, 2 + 5],
      'each piece within 16,000 bytes plus its tag',
    );
    assert.ok(got.every((l) => l.startsWith('o ') && !l.includes('\ufffd')));
    assert.equal(
      got
        .slice(0, 3)
        .map((l) => l.slice(2))
        .join(''),
      long,
    );
    assert.equal(got[3], 'o short');
  });

  it('stdin from an object store URL (2 MiB), an image with a shell, exit code kept', async () => {
    const bytes = randomBytes(2 * 1024 * 1024);
    objects.set('/stdin/big', bytes);
    const job = await containerDefinition({ command: ['sh', '-c', 'sha256sum; exit 5'] });
    const digest = createHash('sha256').update(bytes).digest('hex');
    const out = await runTask(job, {
      RUNLATER_STDIN_URL: `${storeUrl}/stdin/big`,
      RUNLATER_STDIN_SHA256: digest,
    });
    assert.equal(out.code, 5);
    // The program got every byte: its digest of stdin is the digest of the 2 MiB.
    assert.deepEqual(lines(out.stdout), tagged('o', `${digest}  -`));
  });

  it("inline stdin, an image with no shell: the image's own ENTRYPOINT (from its registry) runs", async () => {
    const job = await containerDefinition({ image: 'runlater-test/noshell' }, ['/cat']);
    assert.deepEqual(job.entryPoint, ['/runlater/busybox', 'sh', '/runlater/shim.sh', '/cat']);
    const out = await runTask(job, { RUNLATER_STDIN_B64: Buffer.from('no shell here').toString('base64') });
    assert.equal(out.code, 0);
    assert.deepEqual(lines(out.stdout), tagged('o', 'no shell here'));
  });

  it('stdin from an object store URL, an image with no shell', async () => {
    const text = randomBytes(150_000)
      .toString('hex')
      .replace(/(.{100})/g, '$1\n');
    objects.set('/stdin/noshell', Buffer.from(text));
    const job = await containerDefinition({ image: 'runlater-test/noshell' }, ['/cat']);
    const out = await runTask(job, { RUNLATER_STDIN_URL: `${storeUrl}/stdin/noshell` });
    assert.equal(out.code, 0);
    assert.deepEqual(lines(out.stdout), tagged('o', text.replace(/\n$/, '')));
  });

  it('without RUNLATER_LOG_TAGS the shim execs the program: output passes byte for byte', async () => {
    const bytes = randomBytes(300_000);
    objects.set('/stdin/raw', bytes);
    const job = await containerDefinition({ image: 'runlater-test/noshell' }, ['/cat']);
    const untagged = { ...job, environment: job.environment!.filter((e) => e.name !== 'RUNLATER_LOG_TAGS') };
    const out = await runTask(untagged, { RUNLATER_STDIN_URL: `${storeUrl}/stdin/raw` });
    assert.ok(out.stdout.equals(bytes));
  });

  // SIGINT: an image whose STOPSIGNAL is SIGINT; the program gets SIGTERM (see shim.sh).
  for (const stopSignal of ['SIGTERM', 'SIGINT']) {
    it(`a stop by ${stopSignal} reaches the program through the tagging shim as SIGTERM`, async () => {
      const job = await containerDefinition({
        command: ['sh', '-c', 'trap "echo got TERM; exit 143" TERM; echo ready; while :; do sleep 0.1; done'],
      });
      const { stdout: id } = await run(
        'docker',
        await dockerRunArgs(job, { RUNLATER_STDIN_B64: '' }, ['-d', '--stop-signal', stopSignal]),
      );
      const container = id.trim();
      try {
        const logs = async () => (await run('docker', ['logs', container])).stdout;
        const deadline = Date.now() + 20_000;
        while (!(await logs()).includes('o ready')) {
          assert.ok(Date.now() < deadline, 'the program never said ready');
          await new Promise((r) => setTimeout(r, 100));
        }
        // Docker's stop, as ECS's: the stop signal to pid 1, SIGKILL (exit 137) after the grace period.
        await run('docker', ['stop', '-t', '30', container]);
        const { stdout: code } = await run('docker', ['wait', container]);
        assert.equal(code.trim(), '143');
        assert.deepEqual(lines(await logs()), ['o ready', 'o got TERM']);
      } finally {
        await run('docker', ['rm', '-f', container]).catch(() => undefined);
      }
    });
  }

  it('the init container fails clearly when the object store refuses', async () => {
    const out = await runInit(await volume(), {
      RUNLATER_STDIN_URL: `${storeUrl}/stdin/missing?X-Amz-Signature=secret`,
    });
    assert.notEqual(out.code, 0);
    assert.match(
      out.stderr,
      /could not fetch stdin: .*404.* from http:\/\/127\.0\.0\.1:\d+\/stdin\/missing$/m,
    );
    assert.doesNotMatch(out.stderr, /secret/, 'the signature stays out of the logs');
  });

  it('stdin whose bytes do not match the SHA-256 in the override is refused, inline or fetched', async () => {
    const wrong = createHash('sha256').update('something else').digest('hex');
    const inline = await volume();
    const refused = await runInit(inline, { RUNLATER_STDIN_B64: 'aGVsbG8=', RUNLATER_STDIN_SHA256: wrong });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /stdin does not match its SHA-256 .*refusing to start the job/);
    assert.deepEqual(await readdir(inline).then((names) => names.filter((n) => n.startsWith('stdin'))), []);

    objects.set('/stdin/tampered', Buffer.from('not the job stdin'));
    const fetched = await runInit(await volume(), {
      RUNLATER_STDIN_URL: `${storeUrl}/stdin/tampered`,
      RUNLATER_STDIN_SHA256: wrong,
    });
    assert.notEqual(fetched.code, 0);
    assert.match(fetched.stderr, /does not match its SHA-256/);
  });

  it("RunTask's init override carries the stdin's SHA-256, and the init container takes it as is", async () => {
    const bytes = Buffer.from('the job stdin\n');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const unused = () => Promise.reject(new Error('not used'));
    const launcher = new EcsTaskLauncher(
      new ECSClient({ region: 'eu-west-1' }),
      { put: unused, copy: unused, url: unused, read: unused, delete: unused },
      { cluster: 'c', network: { subnets: ['s'], securityGroups: ['g'], assignPublicIp: false } },
    );
    const input = await launcher.runTaskInput({
      clientToken: 't',
      jobId: '01jobjobjobjobjobjobjobjob',
      attempt: 1,
      worker: workerFixture(),
      env: {},
      stdin: { bytes: bytes.length, sha256, inlineBase64: bytes.toString('base64') },
      timeoutSeconds: 60,
    });
    const init = input.overrides!.containerOverrides!.find((c) => c.name === 'runlater-init')!;
    const env = Object.fromEntries(init.environment!.map((e) => [e.name!, e.value!]));
    assert.equal(env.RUNLATER_STDIN_SHA256, sha256);
    const dir = await volume();
    assert.equal((await runInit(dir, env)).code, 0);
    assert.deepEqual(await readFile(join(dir, 'stdin')), bytes);
  });

  it('the init image holds only the busybox and two scripts: at most 5 MB', async () => {
    const { stdout } = await run('docker', ['image', 'inspect', '--format', '{{.Size}}', initImage]);
    assert.ok(Number(stdout) <= 5 * 1024 * 1024, `${stdout.trim()} bytes`);
  });
});
