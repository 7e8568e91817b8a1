import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureTestImages } from '../support/images.ts';
import { bytesOf, readAllLogs, startTestServer, type TestServer } from '../support/testServer.ts';
import { waitFor } from '../support/waitFor.ts';

/** Job arrays end to end: a dev server, real containers, one child per index or per line. */
describe('job arrays', () => {
  let server: TestServer;
  before(async () => {
    await ensureTestImages();
    server = await startTestServer();
    for (const w of [
      // Prints its index, a colon, then its stdin: what each child got, and where.
      {
        name: 'echo',
        image: 'runlater-test/busybox',
        command: ['sh', '-c', 'printf "%s:" "$RUNLATER_ARRAY_INDEX"; cat'],
        // The array's children wait their turn in the worker's slots, as any job does.
        maxConcurrency: 25,
      },
      {
        name: 'third-fails',
        image: 'runlater-test/busybox',
        command: ['sh', '-c', 'test "$RUNLATER_ARRAY_INDEX" != 3'],
      },
      { name: 'sleepy', image: 'runlater-test/busybox', command: ['sleep', '300'], maxConcurrency: 2 },
    ]) {
      const res = await server.api('POST', '/v1/workers', w);
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
  });
  after(() => server.stop());

  async function children(parent: string, query = '') {
    const all: any[] = [];
    let cursor = '';
    for (let page = 0; page < 100; page++) {
      const q = `parent=${parent}&limit=30${query}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await server.api('GET', `/v1/jobs?${q}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      all.push(...res.body.jobs);
      if (!res.body.nextCursor) return all;
      cursor = res.body.nextCursor;
    }
    throw new Error('the listing never ended');
  }

  it('runs each of 100 lines once, as child i with index i, and the parent succeeds', async () => {
    const input = Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(i % 7)}`).join('\n') + '\n';
    const res = await server.api('POST', '/v1/jobs', {
      worker: 'echo',
      stdin: input,
      array: { split: 'lines' },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body.array, { size: 100, split: 'lines', created: 0 });
    const parent = await server.waitForFinal(res.body.id, 300_000);
    assert.equal(parent.status, 'succeeded', parent.error ?? '');
    assert.deepEqual(parent.array, {
      size: 100,
      split: 'lines',
      created: 100,
      counts: { queued: 0, starting: 0, running: 0, succeeded: 100, failed: 0, timed_out: 0, cancelled: 0 },
    });

    const kids = await children(parent.id);
    assert.deepEqual(
      kids.map((k) => [k.id, k.arrayIndex, k.parent, k.status, k.attempt]),
      kids.map((_, i) => [`${parent.id}-${i}`, i, parent.id, 'succeeded', 1]),
    );
    const lines = input.split('\n').slice(0, -1);
    for (const [i, kid] of kids.entries()) {
      const out = bytesOf(await readAllLogs(server, kid.id, 'stdout'), 'stdout').toString();
      assert.equal(out, `${i}:${lines[i]}\n`);
    }
    const succeeded = await children(parent.id, '&status=succeeded');
    assert.equal(succeeded.length, 100);
  });

  it('ends the parent failed when one child fails with no attempts left', async () => {
    const res = await server.api('POST', '/v1/jobs', {
      worker: 'third-fails',
      array: { size: 5 },
      retry: { maxAttempts: 1 },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const parent = await server.waitForFinal(res.body.id, 120_000);
    assert.equal(parent.status, 'failed');
    assert.equal(parent.error, '1 of 5 children failed or timed out (4 succeeded, 1 failed)');
    assert.equal(parent.array?.counts?.failed, 1);
    const failed = await children(parent.id, '&status=failed');
    assert.deepEqual(
      failed.map((k) => [k.arrayIndex, k.exitCode]),
      [[3, 1]],
    );
  });

  it('cancelling the parent cancels its children: the queued ones at once, the running ones stopped', async () => {
    const res = await server.api('POST', '/v1/jobs', { worker: 'sleepy', array: { size: 6 } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.id;
    // Two run (the worker's limit), four wait for a slot.
    await waitFor(
      'two children running',
      async () => (await children(id, '&status=running')).length === 2 || undefined,
      { timeoutMs: 120_000 },
    );
    const cancel = await server.api('POST', `/v1/jobs/${id}/cancel`);
    assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
    assert.equal(cancel.body.cancelRequested, true);
    const parent = await server.waitForFinal(id, 120_000);
    assert.equal(parent.status, 'cancelled');
    const kids = await children(id);
    assert.equal(kids.length, 6);
    assert.deepEqual(
      kids.map((k) => k.status),
      Array(6).fill('cancelled'),
    );
    assert.equal(kids.filter((k) => k.attempts.length === 0).length, 4, 'four never started');
  });

  it('an Idempotency-Key retry returns the same parent and makes no second set of children', async () => {
    const body = { worker: 'echo', stdin: 'a\nb\nc\n', array: { split: 'lines' } };
    const headers = { 'idempotency-key': `array-${Date.now()}` };
    const first = await server.api('POST', '/v1/jobs', body, { headers });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const again = await server.api('POST', '/v1/jobs', body, { headers });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.id, first.body.id);
    const parent = await server.waitForFinal(first.body.id, 120_000);
    assert.equal(parent.status, 'succeeded', parent.error ?? '');
    const third = await server.api('POST', '/v1/jobs', body, { headers });
    assert.equal(third.body.id, first.body.id);
    assert.equal(third.body.status, 'succeeded');
    const kids = await children(first.body.id);
    assert.deepEqual(
      kids.map((k) => [k.arrayIndex, k.attempt]),
      [
        [0, 1],
        [1, 1],
        [2, 1],
      ],
    );
  });

  it('refuses bad arrays with a 400 naming the field, and stores nothing', async () => {
    const worker = { name: 'refused', image: 'runlater-test/busybox', command: ['true'] };
    assert.equal((await server.api('POST', '/v1/workers', worker)).status, 201);
    const cases: [Record<string, unknown>, string][] = [
      [{ array: { size: 0 } }, 'array.size'],
      [{ array: { size: 10_001 } }, 'array.size'],
      [{ array: { size: 2.5 } }, 'array.size'],
      [{ array: {} }, 'array.size'],
      [{ array: { size: 2, split: 'lines' }, stdin: 'a\n' }, 'array.size'],
      [{ array: { split: 'words' }, stdin: 'a' }, 'array.split'],
      [{ array: { split: 'lines' } }, 'stdin'],
      [{ array: { split: 'lines' }, stdin: '' }, 'stdin'],
      [{ array: { split: 'lines' }, stdin: 'x\n'.repeat(10_001) }, 'stdin'],
      [{ array: { size: 2 }, stdinFrom: '01kb2x7d3q9m4v8e6r5t0y1z2w' }, 'array'],
      [{ array: { size: 2, extra: 1 } }, 'array.extra'],
    ];
    for (const [body, field] of cases) {
      const res = await server.api('POST', '/v1/jobs', { worker: 'refused', ...body });
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.field, field, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'invalid_request');
    }
    assert.deepEqual((await server.api('GET', '/v1/jobs?worker=refused')).body.jobs, []);
    const plain = await server.api('POST', '/v1/jobs', { worker: 'echo' });
    const notParent = await server.api('GET', `/v1/jobs?parent=${plain.body.id}`);
    assert.equal(notParent.status, 400);
    assert.equal(notParent.body.error.field, 'parent');
    const unknown = await server.api('GET', '/v1/jobs?parent=01kb2x7d3q9m4v8e6r5t0y1z2w');
    assert.equal(unknown.status, 404);
    // Nothing left running when the server stops.
    assert.equal((await server.waitForFinal(plain.body.id)).status, 'succeeded');
  });
});
