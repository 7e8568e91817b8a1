import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ensureTestImages } from '../support/images.ts';
import { bytesOf, readAllLogs, startTestServer, type TestServer } from '../support/testServer.ts';
import { waitFor } from '../support/waitFor.ts';

const run = promisify(execFile);

async function inspect(what: 'container' | 'network', id: string): Promise<any> {
  const { stdout } = await run('docker', [what, 'inspect', id]);
  return JSON.parse(stdout)[0];
}

/** The container a job's network is set up in: its own, or the network sandbox it joined. */
async function networkHolder(container: any): Promise<any> {
  const mode: string = container.HostConfig.NetworkMode;
  return mode.startsWith('container:') ? inspect('container', mode.slice('container:'.length)) : container;
}

/** Issue 9, defects 6 and 7 on one machine: jobs kept apart as Fargate keeps tasks, and OOM said. */
describe('job isolation in local mode', () => {
  let server: TestServer;

  before(async () => {
    await ensureTestImages();
    server = await startTestServer();
    const workers = [
      { name: 'sleep', image: 'runlater-test/busybox', command: ['sleep', '60'] },
      { name: 'few', image: 'runlater-test/busybox', command: ['sleep', '60'], pidsLimit: 64 },
      {
        name: 'forks',
        image: 'runlater-test/busybox',
        command: ['sh', '-c', 'for i in $(seq 100); do sleep 30 & done; echo started all'],
        pidsLimit: 32,
      },
      {
        name: 'listen',
        image: 'runlater-test/busybox',
        command: ['sh', '-c', 'echo secret | nc -l -p 8080'],
      },
      {
        name: 'connect',
        image: 'runlater-test/busybox',
        command: [
          'sh',
          '-c',
          'if nc -w 3 "$TARGET" 8080 </dev/null; then echo reached; else echo blocked; fi',
        ],
      },
      {
        name: 'hog',
        image: 'runlater-test/busybox',
        memory: 512,
        command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=800M', 'count=1'],
      },
    ];
    for (const w of workers) {
      const res = await server.api('POST', '/v1/workers', w);
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
  });
  after(() => server.stop());

  async function submit(body: Record<string, unknown>): Promise<string> {
    const res = await server.api('POST', '/v1/jobs', body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.id;
  }

  /** The task id of a job once it runs. */
  async function running(id: string): Promise<string> {
    return waitFor(`job ${id} to run`, async () => {
      const { body } = await server.api('GET', `/v1/jobs/${id}`);
      return body.status === 'running' ? (body.attempts[0].taskId as string) : undefined;
    });
  }

  it('docker inspect of a running job shows a pids limit, no-new-privileges and the jobs network', async () => {
    const ids = [await submit({ worker: 'sleep' }), await submit({ worker: 'few' })];
    const [plain, few] = await Promise.all(ids.map(async (id) => inspect('container', await running(id))));
    assert.equal(plain.HostConfig.PidsLimit, 512, 'the default');
    assert.equal(few.HostConfig.PidsLimit, 64, "the worker's");
    for (const c of [plain, few]) {
      assert.ok(c.HostConfig.SecurityOpt.includes('no-new-privileges'), String(c.HostConfig.SecurityOpt));
      const network = await inspect('network', (await networkHolder(c)).HostConfig.NetworkMode);
      assert.equal(network.Name, 'runlater-jobs');
      assert.equal(network.Options['com.docker.network.bridge.enable_icc'], 'false');
    }
    for (const id of ids) await server.api('POST', `/v1/jobs/${id}/cancel`);
  });

  it('stops a job at its pids limit', async () => {
    const job = await server.waitForFinal(await submit({ worker: 'forks' }));
    assert.equal(job.status, 'failed');
    const stderr = bytesOf(await readAllLogs(server, job.id), 'stderr').toString();
    assert.match(stderr, /can't fork/);
  });

  it("lets no job reach another's listener", async () => {
    const listener = await submit({ worker: 'listen' });
    const listening = await networkHolder(await inspect('container', await running(listener)));
    const target = Object.values<any>(listening.NetworkSettings.Networks)[0].IPAddress;
    assert.ok(target, 'the listener has an address');
    const job = await server.waitForFinal(await submit({ worker: 'connect', env: { TARGET: target } }));
    assert.equal(bytesOf(await readAllLogs(server, job.id), 'stdout').toString(), 'blocked\n');
    await server.api('POST', `/v1/jobs/${listener}/cancel`);
  });

  it('says "out of memory" of a job killed for its memory', async () => {
    const job = await server.waitForFinal(await submit({ worker: 'hog' }));
    assert.equal(job.status, 'failed');
    assert.equal(job.exitCode, 137);
    assert.match(job.error ?? '', /out of memory/);
  });
});
