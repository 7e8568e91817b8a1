import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { jobContainersAlive } from '../support/containers.ts';
import { DevProcess } from '../support/devProcess.ts';
import { ensureTestImages } from '../support/images.ts';
import { waitFor } from '../support/waitFor.ts';

/** The reconciler runs every 2 s, and an unacknowledged message comes back after 5 s. */
const FAST = { RUNLATER_RECONCILE_SECONDS: '2', RUNLATER_VISIBILITY_TIMEOUT_SECONDS: '5' };

describe('durability: kill -9 of the dev server while a worker runs at its concurrency limit', () => {
  let dev: DevProcess | undefined;
  after(() => dev?.close());

  it('leaks no slot: every job runs once, never more than the limit at once, and the next jobs still start', async () => {
    await ensureTestImages();
    dev = await DevProcess.create('conc-durability', FAST);
    const since = Math.floor(Date.now() / 1000) - 1;
    await dev.start();
    const api = dev.api.bind(dev);
    await api('POST', '/v1/workers', {
      name: 'capped',
      image: 'runlater-test/busybox',
      command: ['sh', '-c', 'sleep 2; echo "done $RUNLATER_JOB_ID"'],
      maxConcurrency: 2,
    });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await api('POST', '/v1/jobs', { worker: 'capped' })).id);

    let most = 0;
    const sample = async () => (most = Math.max(most, await jobContainersAlive(dev!.dataDir)));
    const atKill = await waitFor(
      'two jobs running',
      async () => {
        await sample();
        const stats = await api('GET', '/v1/workers/capped/stats');
        return stats.running === 2 && stats;
      },
      { timeoutMs: 60_000 },
    );
    await dev.kill();
    // The kill lands mid-flight: two running, the rest held back on their slots.
    assert.ok(atKill.queued >= 4, `at the kill: ${JSON.stringify(atKill)}`);

    await dev.start(sample);
    const finals = await dev.allFinal(ids, 240_000, sample);
    for (const job of finals) {
      assert.equal(job.status, 'succeeded', `${job.id}: ${job.status} ${job.error}`);
      assert.equal(job.attempt, 1, `${job.id} ran one attempt`);
    }
    assert.ok(most <= 2, `${most} containers alive at once`);

    // No slot leaked: all free once the jobs ended (the reconciler settles one whose release was lost).
    await waitFor(
      'every slot free',
      async () => (await api('GET', '/v1/workers/capped/stats')).slotsInUse === 0,
      {
        timeoutMs: 120_000,
        intervalMs: 500,
      },
    );
    // ...so the next jobs start, both at once.
    const next = [
      (await api('POST', '/v1/jobs', { worker: 'capped' })).id,
      (await api('POST', '/v1/jobs', { worker: 'capped' })).id,
    ];
    const nextFinals = await dev.allFinal(next, 60_000);
    assert.deepEqual(
      nextFinals.map((j: any) => j.status),
      ['succeeded', 'succeeded'],
    );

    // Docker's own record: one container started per job.
    const starts = await dev.containerStarts(since);
    for (const id of [...ids, ...next])
      assert.equal(starts.filter((e) => e === id).length, 1, `job ${id} started once`);
  });
});
