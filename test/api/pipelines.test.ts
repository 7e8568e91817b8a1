import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ensureTestImages } from '../support/images.ts';
import { bytesOf, readAllLogs, startTestServer, type TestServer } from '../support/testServer.ts';

/** Jobs that feed jobs, end to end: real containers, stdout of one as the next one's stdin. */
describe('pipelines: after and stdinFrom', () => {
  let server: TestServer;
  before(async () => {
    await ensureTestImages();
    server = await startTestServer();
    for (const w of [
      { name: 'cat', image: 'runlater-test/busybox', command: ['cat'] },
      // Reverses its stdin's bytes end to end, so each step visibly does something.
      {
        name: 'rev',
        image: 'runlater-test/busybox',
        command: [
          'sh',
          '-c',
          'od -An -v -tx1 | tr -s " \\n" "\\n\\n" | sed "/^$/d" | sed -n "1!G;h;\\$p" | while read h; do printf "\\\\x$h"; done',
        ],
      },
      { name: 'fail', image: 'runlater-test/busybox', command: ['sh', '-c', 'exit 3'] },
    ]) {
      const res = await server.api('POST', '/v1/workers', w);
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
  });
  after(() => server.stop());

  async function submit(body: Record<string, unknown>) {
    const res = await server.api('POST', '/v1/jobs', body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body;
  }

  it('passes exact bytes, binary included, from each stdout to the next stdin, in order', async () => {
    const input = Buffer.concat([randomBytes(300), Buffer.from('\n\n\0\xff line\r\n'), randomBytes(50)]);
    const first = await submit({ worker: 'cat', stdinBase64: input.toString('base64') });
    const second = await submit({ worker: 'rev', stdinFrom: first.id });
    const third = await submit({ worker: 'cat', stdinFrom: second.id });
    assert.deepEqual(second.after, [first.id]);
    assert.match(third.waitingReason, /^waiting for dependencies: /);
    assert.equal(third.status, 'queued');

    const done = await server.waitForFinal(third.id, 120_000);
    assert.equal(done.status, 'succeeded', done.error ?? '');
    const out = bytesOf(await readAllLogs(server, third.id, 'stdout'), 'stdout');
    assert.deepEqual(out, Buffer.from(input).reverse());
    assert.equal(done.stdinBytes, input.length);
    // Each ran after the one before it ended.
    const jobs = await Promise.all([first, second, third].map((j) => server.api('GET', `/v1/jobs/${j.id}`)));
    for (let i = 1; i < 3; i++)
      assert.ok(Date.parse(jobs[i]!.body.startedAt) >= Date.parse(jobs[i - 1]!.body.finishedAt));
  });

  it('cancels the rest of a chain whose first job fails, naming the dependency', async () => {
    const first = await submit({ worker: 'fail' });
    const second = await submit({ worker: 'cat', stdinFrom: first.id });
    const third = await submit({ worker: 'cat', after: [second.id] });
    const s = await server.waitForFinal(second.id, 60_000);
    const t = await server.waitForFinal(third.id, 60_000);
    assert.equal(s.status, 'cancelled');
    assert.equal(s.error, `dependency ${first.id} ended failed: this job did not run`);
    assert.equal(s.attempts.length, 0);
    assert.equal(t.status, 'cancelled');
    assert.equal(t.error, `dependency ${second.id} ended cancelled: this job did not run`);
  });

  it('refuses an unknown dependency and stdin given twice, naming the field', async () => {
    const unknown = await server.api('POST', '/v1/jobs', {
      worker: 'cat',
      after: ['01kb2x7d3q9m4v8e6r5t0y1z2w'],
    });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.field, 'after');
    const both = await server.api('POST', '/v1/jobs', { worker: 'cat', stdin: 'x', stdinFrom: 'a' });
    assert.equal(both.status, 400);
    assert.equal(both.body.error.field, 'stdinFrom');
  });
});
