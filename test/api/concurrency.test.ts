import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jobContainersAlive } from '../support/containers.ts';
import { ensureTestImages } from '../support/images.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';
import { waitFor } from '../support/waitFor.ts';

/** Issue 12: maxConcurrency, priorities and queue stats, in local mode with real containers. */
describe('a worker with maxConcurrency, with real containers', () => {
  let server: TestServer;
  before(async () => {
    await ensureTestImages();
    server = await startTestServer();
  });
  after(() => server.stop());

  async function createWorker(body: Record<string, unknown>) {
    const res = await server.api('POST', '/v1/workers', { image: 'runlater-test/busybox', ...body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }
  async function submit(body: Record<string, unknown>): Promise<string> {
    const res = await server.api('POST', '/v1/jobs', body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.id;
  }
  async function stats(worker: string) {
    const res = await server.api('GET', `/v1/workers/${worker}/stats`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  }

  it('10 jobs of a worker with maxConcurrency 2 never have more than 2 containers alive, and all succeed', async () => {
    await createWorker({ name: 'capped', maxConcurrency: 2, command: ['sh', '-c', 'sleep 1; echo done'] });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await submit({ worker: 'capped' }));

    let most = 0;
    let samples = 0;
    let finals: any[] = [];
    await waitFor(
      'all 10 jobs to end',
      async () => {
        most = Math.max(most, await jobContainersAlive(server.dataDir));
        const s = await stats('capped');
        assert.ok(s.starting + s.running <= 2, `stats: ${JSON.stringify(s)}`);
        assert.ok(s.slotsInUse <= 2, `stats: ${JSON.stringify(s)}`);
        samples++;
        finals = await Promise.all(ids.map(async (id) => (await server.api('GET', `/v1/jobs/${id}`)).body));
        return finals.every((j) => ['succeeded', 'failed', 'timed_out', 'cancelled'].includes(j.status));
      },
      { timeoutMs: 180_000, intervalMs: 50 },
    );
    assert.ok(most <= 2, `${most} containers alive at once`);
    assert.ok(most >= 1 && samples > 10, `sampled ${samples} times, saw at most ${most}`);
    assert.deepEqual(
      finals.map((j) => j.status),
      ids.map(() => 'succeeded'),
    );
    // What the jobs themselves record agrees: at no instant were more than 2 running.
    const edges = finals.flatMap((j) => [
      [Date.parse(j.startedAt), 1],
      [Date.parse(j.finishedAt), -1],
    ]);
    edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    let now = 0;
    for (const [, d] of edges) assert.ok((now += d!) <= 2, 'at most 2 jobs ran at one time');
    const s = await stats('capped');
    assert.equal(s.finished.lastHour.succeeded, 10);
    assert.deepEqual(
      [s.queued, s.waitingOnConcurrency, s.starting, s.running, s.slotsInUse],
      [0, 0, 0, 0, 0],
    );
  });

  it('held-back jobs start by priority then age; a job shows why it waits; stats match the jobs', async () => {
    await createWorker({ name: 'ordered', maxConcurrency: 1, command: ['sh', '-c', 'sleep "${HOLD:-0}"'] });
    const blocker = await submit({ worker: 'ordered', env: { HOLD: '60' } });
    await waitFor(
      'the blocker to run',
      async () => (await server.api('GET', `/v1/jobs/${blocker}`)).body.status === 'running',
    );
    const priorities = [1, 3, 2, 3, 1, 2];
    const ids: string[] = [];
    for (const priority of priorities) ids.push(await submit({ worker: 'ordered', priority }));
    const held = await waitFor('all six to be held back', async () => {
      const jobs = await Promise.all(ids.map(async (id) => (await server.api('GET', `/v1/jobs/${id}`)).body));
      return (
        jobs.every((j) => j.status === 'queued' && /^waiting: concurrency/.test(j.waitingReason ?? '')) &&
        jobs
      );
    });
    assert.deepEqual(
      held.map((j: any) => j.priority),
      priorities,
    );
    const waiting = await stats('ordered');
    assert.deepEqual(
      [
        waiting.maxConcurrency,
        waiting.queued,
        waiting.waitingOnConcurrency,
        waiting.running,
        waiting.slotsInUse,
      ],
      [1, 6, 6, 1, 1],
    );

    assert.equal((await server.api('POST', `/v1/jobs/${blocker}/cancel`)).status, 202);
    const finals = await Promise.all(ids.map((id) => server.waitForFinal(id, 120_000)));
    assert.deepEqual(
      finals.map((j) => j.status),
      ids.map(() => 'succeeded'),
    );
    const startOrder = [...finals]
      .sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!))
      .map((j) => j.id);
    const expected = ids
      .map((id, i) => ({ id, p: priorities[i]!, i }))
      .sort((a, b) => b.p - a.p || a.i - b.i)
      .map((j) => j.id);
    assert.deepEqual(startOrder, expected);
    const done = await stats('ordered');
    assert.equal(done.finished.lastDay.succeeded, 6);
    assert.equal(done.finished.lastDay.cancelled, 1);
    assert.equal(done.queued + done.starting + done.running + done.slotsInUse, 0);
  });

  it('answers 404 for the stats of no such worker, and refuses a bad maxConcurrency or priority', async () => {
    assert.equal((await server.api('GET', '/v1/workers/nope/stats')).status, 404);
    for (const bad of [{ maxConcurrency: 0 }, { maxConcurrency: 1.5 }, { priority: 1001 }]) {
      const res = await server.api('POST', '/v1/workers', {
        name: 'bad',
        image: 'runlater-test/busybox',
        ...bad,
      });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.field, Object.keys(bad)[0]);
    }
    const res = await server.api('POST', '/v1/jobs', { worker: 'capped', priority: 'high' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.field, 'priority');
  });
});
