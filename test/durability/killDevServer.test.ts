import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DevProcess, FINAL_STATUSES } from '../support/devProcess.ts';
import { ensureTestImages } from '../support/images.ts';
import { waitFor } from '../support/waitFor.ts';

describe('durability: kill -9 of the dev server while jobs run', () => {
  let dev: DevProcess | undefined;
  after(() => dev?.close());

  it('loses no job and runs none to completion twice', async () => {
    await ensureTestImages();
    dev = await DevProcess.create('durability');
    const since = Math.floor(Date.now() / 1000) - 1;
    await dev.start();
    const api = dev.api.bind(dev);

    await api('POST', '/v1/workers', {
      name: 'slow',
      image: 'runlater-test/busybox',
      command: ['sh', '-c', 'echo "start $RUNLATER_JOB_ID"; sleep 3; echo "done $RUNLATER_JOB_ID"'],
    });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await api('POST', '/v1/jobs', { worker: 'slow' })).id);

    // Kill while some run: wait until at least one is running, and none has finished yet.
    await waitFor(
      'a running job',
      async () => (await api('GET', '/v1/jobs?limit=50')).jobs.some((j: any) => j.status === 'running'),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const atKill = (await api('GET', '/v1/jobs?limit=50')).jobs.map((j: any) => j.status);
    await dev.kill();
    // The kill must land mid-flight for the test to mean anything: jobs still running and queued.
    assert.ok(
      atKill.filter((s: string) => !FINAL_STATUSES.includes(s)).length >= 10,
      `at the kill: ${atKill.join(' ')}`,
    );

    await dev.start();
    const finals = await dev.allFinal(ids, 180_000);
    for (const job of finals) {
      assert.equal(job.status, 'succeeded', `${job.id}: ${job.status} ${job.error}`);
      assert.equal(job.attempt, 1, `${job.id} ran one attempt`);
      const logs = await api('GET', `/v1/jobs/${job.id}/logs?limit=100`);
      assert.deepEqual(
        logs.lines.map((l: any) => l.text),
        [`start ${job.id}`, `done ${job.id}`],
      );
    }

    // Docker's own record: exactly one container started per job.
    const starts = await dev.containerStarts(since);
    for (const id of ids) assert.equal(starts.filter((e) => e === id).length, 1, `job ${id} started once`);
  });
});
