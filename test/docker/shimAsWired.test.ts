import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EcsTaskDefinitions } from '../../lambdas/adapters/ecs/EcsTaskDefinitions.ts';
import type { Worker } from '../../lambdas/core/schemas.ts';
import { main as initContainerMain } from '../../lambdas/shim/prepare.ts';
import { workerFixture } from '../support/fixtures.ts';
import { ensureTestImages } from '../support/images.ts';

const run = promisify(execFile);

/**
 * The task definition's job container, run for real in Docker: its entryPoint and environment as
 * RegisterTaskDefinition gets them, and /runlater filled by the init container's own code from
 * the env RunTask gives it (inline stdin, or a URL to an object store, here one on loopback).
 */
describe('the shim, as the ECS task definition wires it, in Docker', () => {
  let objectStore: Server;
  let storeUrl = '';
  const objects = new Map<string, Buffer>();
  const dirs: string[] = [];

  before(async () => {
    await ensureTestImages();
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

  async function containerDefinition(worker: Partial<Worker>, imageCommand?: string[]) {
    const defs = new EcsTaskDefinitions(
      new ECSClient({ region: 'eu-west-1' }),
      {
        executionRoleArn: 'arn:role',
        shimImage: 'shim',
        logRouterImage: 'fb',
        logGroupName: 'jobs',
        region: 'eu-west-1',
      },
      async () => ({ entrypoint: imageCommand ?? [], cmd: [] }),
    );
    const input = await defs.input(workerFixture(worker));
    return input.containerDefinitions!.find((c) => c.name === 'job')!;
  }

  /** The init container's step (its real entry code), then the job container as ECS would start it. */
  async function runTask(
    job: Awaited<ReturnType<typeof containerDefinition>>,
    initEnv: Record<string, string>,
    jobEnv: Record<string, string> = {},
  ) {
    const dir = await mkdtemp(join(tmpdir(), 'runlater-volume-'));
    dirs.push(dir);
    await initContainerMain({ ...initEnv, RUNLATER_SHIM_DIR: dir });
    const env = [
      ...(job.environment ?? []).map((e) => `${e.name}=${e.value}`),
      ...Object.entries(jobEnv).map(([k, v]) => `${k}=${v}`),
    ];
    const [entry, ...args] = job.entryPoint!;
    try {
      const { stdout } = await run(
        'docker',
        [
          'run',
          '--rm',
          '--log-driver',
          'local',
          '-v',
          `${dir}:/runlater:ro`,
          ...env.flatMap((e) => ['-e', e]),
          '--entrypoint',
          entry!,
          job.image!,
          ...args,
        ],
        { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
      );
      return { code: 0, stdout: stdout as Buffer };
    } catch (err) {
      const e = err as { code: number; stdout: Buffer };
      return { code: e.code, stdout: e.stdout };
    }
  }

  it('inline stdin, an image with a shell', async () => {
    const job = await containerDefinition({
      command: ['sh', '-c', 'cat; echo " $GREETING"'],
      env: { GREETING: 'from the worker' },
    });
    const out = await runTask(job, { RUNLATER_STDIN_B64: Buffer.from('hello').toString('base64') });
    assert.equal(out.code, 0);
    assert.equal(String(out.stdout), 'hello from the worker\n');
  });

  it('stdin from an object store URL, an image with a shell, exit code kept', async () => {
    const bytes = randomBytes(2 * 1024 * 1024);
    objects.set('/stdin/big', bytes);
    const job = await containerDefinition({ command: ['sh', '-c', 'cat; exit 5'] });
    const out = await runTask(job, { RUNLATER_STDIN_URL: `${storeUrl}/stdin/big` });
    assert.equal(out.code, 5);
    assert.ok(out.stdout.equals(bytes), 'stdout is the 2 MiB stdin');
  });

  it("inline stdin, an image with no shell: the image's own ENTRYPOINT (from its registry) runs", async () => {
    const job = await containerDefinition({ image: 'runlater-test/noshell' }, ['/cat']);
    assert.deepEqual(job.entryPoint, ['/runlater/busybox', 'sh', '/runlater/shim.sh', '/cat']);
    const out = await runTask(job, { RUNLATER_STDIN_B64: Buffer.from('no shell here').toString('base64') });
    assert.equal(String(out.stdout), 'no shell here');
  });

  it('stdin from an object store URL, an image with no shell', async () => {
    const bytes = randomBytes(300_000);
    objects.set('/stdin/noshell', bytes);
    const job = await containerDefinition({ image: 'runlater-test/noshell' }, ['/cat']);
    const out = await runTask(job, { RUNLATER_STDIN_URL: `${storeUrl}/stdin/noshell` });
    assert.ok(out.stdout.equals(bytes));
  });

  it('the init container fails clearly when the object store refuses', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runlater-volume-'));
    dirs.push(dir);
    await assert.rejects(
      initContainerMain({ RUNLATER_STDIN_URL: `${storeUrl}/stdin/missing`, RUNLATER_SHIM_DIR: dir }),
      /could not fetch stdin: HTTP 404/,
    );
  });
});
