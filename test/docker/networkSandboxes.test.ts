import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { removeContainersOf } from '../support/containers.ts';
import { ensureTestImages } from '../support/images.ts';
import { bytesOf, readAllLogs, startTestServer, type TestServer } from '../support/testServer.ts';
import { waitFor } from '../support/waitFor.ts';

const run = promisify(execFile);
const IMAGE = 'runlater-test/busybox';

/**
 * Jobs start in network sandboxes made ahead (lambdas/adapters/docker/NetworkSandboxes.ts): what
 * a user can see of them is that jobs still run, still cannot reach each other, and leave nothing
 * behind for the next job.
 */
describe('network sandboxes in local mode', () => {
  let server: TestServer;

  before(async () => {
    await ensureTestImages();
    server = await startTestServer();
    const workers = [
      { name: 'say', image: IMAGE, command: ['sh', '-c', 'echo hi'] },
      {
        name: 'poison',
        image: IMAGE,
        command: ['sh', '-c', 'echo "1.2.3.4 poisoned" >> /etc/hosts; hostname'],
      },
      { name: 'probe', image: IMAGE, command: ['sh', '-c', 'hostname; grep -c poisoned /etc/hosts; true'] },
      { name: 'listen', image: IMAGE, command: ['sh', '-c', 'echo secret | nc -l -p 8080'] },
      {
        name: 'connect',
        image: IMAGE,
        command: [
          'sh',
          '-c',
          'if nc -w 3 "$TARGET" 8080 </dev/null; then echo reached; else echo blocked; fi',
        ],
      },
    ];
    for (const w of workers) {
      const res = await server.api('POST', '/v1/workers', w);
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
  });
  after(() => server?.stop());

  async function runJob(worker: string, env?: Record<string, string>): Promise<string> {
    const res = await server.api('POST', '/v1/jobs', { worker, ...(env ? { env } : {}) });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const job = await server.waitForFinal(res.body.id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    return bytesOf(await readAllLogs(server, job.id), 'stdout').toString();
  }

  /** This server's sandboxes that run, per Docker: id → its address on the jobs' network. */
  async function sandboxes(): Promise<Map<string, string>> {
    const { stdout } = await run('docker', [
      'ps',
      '-q',
      '--no-trunc',
      '--filter',
      `label=runlater.dataDir=${server.dataDir}`,
      '--filter',
      `label=runlater.sandbox=${IMAGE}`,
    ]);
    const found = new Map<string, string>();
    for (const id of stdout.split('\n').filter(Boolean)) {
      const { stdout: info } = await run('docker', ['inspect', id]);
      const c = JSON.parse(info)[0];
      const [network] = Object.entries<any>(c.NetworkSettings.Networks);
      assert.equal(network?.[0], 'runlater-jobs', 'a sandbox is on the jobs network');
      found.set(id, network![1].IPAddress);
    }
    return found;
  }

  function warm(count: number): Promise<Map<string, string>> {
    return waitFor(`${count} network sandboxes`, async () => {
      const found = await sandboxes();
      return found.size >= count && found;
    });
  }

  it('after a first job, the next ones run in sandboxes, and what a job writes to /etc/hosts no later job reads', async () => {
    assert.equal(await runJob('say'), 'hi\n');
    await warm(1);
    // Docker shows a sandbox running a moment before runlater has read its files and can hand it out.
    const poisoner = await waitFor('a job to run in a sandbox', async () => {
      const hostname = (await runJob('poison')).trim();
      return [...(await sandboxes()).keys()].some((id) => id.startsWith(hostname)) && hostname;
    });
    // The sandbox freed last is the next one taken: the probe runs where the poisoner ran.
    assert.equal(await runJob('probe'), `${poisoner}\n0\n`);
  });

  it('keeps a job in a sandbox out of reach of other jobs', async () => {
    await warm(1);
    const res = await server.api('POST', '/v1/jobs', { worker: 'listen' });
    const listener = res.body.id as string;
    const taskId = await waitFor('the listener to run', async () => {
      const { body } = await server.api('GET', `/v1/jobs/${listener}`);
      return body.status === 'running' && (body.attempts[0].taskId as string);
    });
    const { stdout } = await run('docker', ['inspect', '--format', '{{.HostConfig.NetworkMode}}', taskId]);
    const mode = stdout.trim();
    assert.match(mode, /^container:/, 'the listener joined a sandbox');
    const target = (await sandboxes()).get(mode.slice('container:'.length));
    assert.ok(target, "the listener's sandbox has an address");
    assert.equal(await runJob('connect', { TARGET: target }), 'blocked\n');
    await server.api('POST', `/v1/jobs/${listener}/cancel`);
    await server.waitForFinal(listener);
  });

  it('runs jobs all the same when their sandbox was removed or stopped behind its back', async () => {
    const [removed] = [...(await warm(1)).keys()];
    await run('docker', ['rm', '-f', removed!]);
    assert.equal(await runJob('say'), 'hi\n');
    const [stopped] = [...(await warm(1)).keys()];
    await run('docker', ['kill', stopped!]);
    assert.equal(await runJob('say'), 'hi\n');
  });

  it('removes its free sandboxes when it stops', async () => {
    await warm(1);
    const dataDir = server.dataDir;
    // The server's own close(): the test server's stop() also removes what a test left in Docker.
    await server.close();
    const { stdout } = await run('docker', [
      'ps',
      '-aq',
      '--filter',
      `label=runlater.dataDir=${dataDir}`,
      '--filter',
      'label=runlater.sandbox',
    ]);
    assert.equal(stdout.trim(), '');
    server = undefined as unknown as TestServer;
    await removeContainersOf(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  });
});
