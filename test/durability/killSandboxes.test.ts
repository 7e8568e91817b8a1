import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { DevProcess } from '../support/devProcess.ts';
import { ensureTestImages } from '../support/images.ts';
import { waitFor } from '../support/waitFor.ts';

const run = promisify(execFile);

describe('durability: kill -9 of the dev server with network sandboxes made', () => {
  let dev: DevProcess | undefined;
  after(() => dev?.close());

  /** The data directory's network sandboxes, per Docker (running or not). */
  async function sandboxes(): Promise<string[]> {
    const { stdout } = await run('docker', [
      'ps',
      '-aq',
      '--filter',
      `label=runlater.dataDir=${dev!.dataDir}`,
      '--filter',
      'label=runlater.sandbox',
    ]);
    return stdout.split('\n').filter(Boolean);
  }

  it('the next start removes the free ones at once, and the one a running job joined once that job is done', async () => {
    await ensureTestImages();
    dev = await DevProcess.create('sandbox-durability');
    await dev.start();
    const api = dev.api.bind(dev);
    const image = 'runlater-test/busybox';
    await api('POST', '/v1/workers', { name: 'say', image, command: ['sh', '-c', 'echo hi'] });
    await api('POST', '/v1/workers', { name: 'hold', image, command: ['sh', '-c', 'sleep 6; echo held'] });
    const runOne = async (worker: string) =>
      (await dev!.allFinal([(await api('POST', '/v1/jobs', { worker })).id], 60_000))[0];

    await runOne('say');
    await waitFor('a sandbox', async () => (await sandboxes()).length >= 1);
    // A job of `hold` running in a sandbox (one that finds none free yet runs without, and is let be).
    const held = await waitFor(
      'a job running in a sandbox',
      async () => {
        const { id } = await api('POST', '/v1/jobs', { worker: 'hold' });
        const taskId = await waitFor(`job ${id} to run`, async () => {
          const job = await api('GET', `/v1/jobs/${id}`);
          return job.status === 'running' && (job.attempts[0].taskId as string);
        });
        const { stdout } = await run('docker', [
          'inspect',
          '--format',
          '{{.HostConfig.NetworkMode}}',
          taskId,
        ]);
        return stdout.startsWith('container:') && id;
      },
      { timeoutMs: 90_000 },
    );
    // One more job, finding no sandbox free, has another made: free at the kill.
    await runOne('say');
    await waitFor('a free sandbox beside the busy one', async () => (await sandboxes()).length >= 2);

    await dev.kill();
    await dev.start();

    const [job] = await dev.allFinal([held], 60_000);
    assert.equal(job.status, 'succeeded', `${job.id}: ${job.error}`);
    const logs = await api('GET', `/v1/jobs/${held}/logs?stream=stdout`);
    assert.match(JSON.stringify(logs), /held/);
    await waitFor('no sandbox of the run before', async () => (await sandboxes()).length === 0, {
      timeoutMs: 30_000,
    });
  });
});
