import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { outputDirFor } from '../../lambdas/adapters/local/outputFormat.ts';
import { ensureTestImages } from '../support/images.ts';
import { waitFor } from '../support/waitFor.ts';
import { launcherHarness } from './harness.ts';

const numbers = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${from + i}\n`).join('');

/**
 * Output is written to disk as it is produced: a runner that dies keeps what it copied, and the
 * next one takes up where the files end, losing and repeating nothing, even when the first died
 * in the middle of a write.
 */
describe('the output of a task across a crash of its runner', () => {
  let h: Awaited<ReturnType<typeof launcherHarness>>;
  before(async () => {
    await ensureTestImages();
    h = await launcherHarness();
  });
  after(() => h.cleanup());

  it('is on disk while the task runs, and whole and in order after a crash mid-write', async () => {
    // 6,000 numbered lines on both streams over about three seconds.
    const script =
      'i=0; while [ $i -lt 60 ]; do seq $((i*100+1)) $((i*100+100)); echo "e$i" >&2; i=$((i+1)); usleep 50000; done';
    const first = h.newLauncher();
    const { taskId } = await first.launch(h.spec({ command: ['sh', '-c', script] }));
    await waitFor(async () => (await h.lines(taskId)).length > 500, {
      message: 'output on disk while the task runs',
    });
    await first.close();

    // What a kill -9 in the middle of a write leaves: half a record in `index`, bytes past the
    // last record in a data file, a stream record whose `index` record never came.
    const dir = outputDirFor(h.dataDir, taskId);
    await appendFile(join(dir, 'index'), Buffer.alloc(10, 7));
    await appendFile(join(dir, 'stdout'), 'torn\n');
    const bogus = Buffer.alloc(24);
    bogus.writeUIntLE(2 ** 40, 0, 6);
    await appendFile(join(dir, 'stdout.index'), bogus);

    await h.newLauncher().recover();
    const stopped = await h.event(taskId, 'STOPPED', 60_000);
    assert.equal(stopped.exitCode, 0);
    assert.equal((await h.output(taskId, 'stdout')).toString(), numbers(1, 6000));
    const stderr = Array.from({ length: 60 }, (_, i) => `e${i}\n`).join('');
    assert.equal((await h.output(taskId, 'stderr')).toString(), stderr);
    assert.equal((await h.lines(taskId)).length, 6060, 'both streams, each line once');
  });
});
