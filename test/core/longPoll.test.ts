import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotifiedJobWatcher } from '../../lambdas/adapters/local/NotifiedJobWatcher.ts';
import { PollingJobWatcher, readUntilFinal } from '../../lambdas/core/longPoll.ts';
import type { JobStatus } from '../../lambdas/core/jobStatus.ts';

/** A job read from a store whose status the test moves on; counts the reads. */
function store(status: JobStatus = 'running') {
  const s = {
    status,
    reads: 0,
    read: async () => {
      s.reads++;
      return { status: s.status };
    },
  };
  return s;
}

describe('readUntilFinal', () => {
  describe('with the polling watcher (the API function on AWS)', () => {
    it('reads again until the job is final, and returns it', async () => {
      let reads = 0;
      // The job ends between the second read and the third.
      const read = async () => ({ status: (++reads >= 3 ? 'succeeded' : 'running') as JobStatus });
      const job = await readUntilFinal(read, new PollingJobWatcher(1, 5), 'j', 60_000);
      assert.equal(job.status, 'succeeded');
      assert.equal(reads, 3);
    });

    it('returns the job as it is when the wait runs out', async () => {
      const s = store('queued');
      const job = await readUntilFinal(s.read, new PollingJobWatcher(1, 5), 'j', 30);
      assert.equal(job.status, 'queued');
      assert.ok(s.reads >= 2, 'it read again while it waited');
    });

    it('reads once and does not wait when the job is final or no wait is asked', async () => {
      const final = store('failed');
      assert.equal((await readUntilFinal(final.read, new PollingJobWatcher(), 'j', 60_000)).status, 'failed');
      assert.equal(final.reads, 1);
      const running = store('running');
      await readUntilFinal(running.read, new PollingJobWatcher(), 'j', 0);
      assert.equal(running.reads, 1);
    });
  });

  describe('with the notified watcher (runlater dev)', () => {
    it('reads again when told the job changed, and returns it once final', async () => {
      const s = store('running');
      const watcher = new NotifiedJobWatcher(3_600_000); // no fallback read within the test
      const waiting = readUntilFinal(s.read, watcher, 'j', 3_600_000);
      await until(() => s.reads === 1);
      watcher.notify('other-job'); // another job's change wakes nobody here
      s.status = 'starting';
      watcher.notify('j');
      await until(() => s.reads === 2);
      s.status = 'cancelled';
      watcher.notify('j');
      assert.equal((await waiting).status, 'cancelled');
      assert.equal(s.reads, 3);
    });

    it('does not miss a change made between its read and its wait', async () => {
      const s = store('running');
      const watcher = new NotifiedJobWatcher(3_600_000);
      const read = async () => {
        const job = await s.read();
        // The job ends right after this read, before the waiter waits: the signal must be kept.
        if (s.reads === 1) {
          s.status = 'succeeded';
          watcher.notify('j');
        }
        return job;
      };
      const waiting = readUntilFinal(read, watcher, 'j', 3_600_000);
      const stuck = new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 10_000));
      const answer = await Promise.race([waiting, stuck]);
      if (answer === 'stuck') watcher.notify('j'); // let it go, then fail
      assert.notEqual(answer, 'stuck', 'the signal was lost: it waits for the next one');
      assert.equal((await waiting).status, 'succeeded');
    });

    it('still reads again after its fallback interval without a signal', async () => {
      const s = store('running');
      const job = await readUntilFinal(s.read, new NotifiedJobWatcher(5), 'j', 40);
      assert.equal(job.status, 'running');
      assert.ok(s.reads >= 2);
    });
  });
});

/** Waits (bounded) until the condition holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(condition(), 'condition never held');
}
