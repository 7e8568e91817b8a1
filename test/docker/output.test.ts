import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lineBytes, RunlaterClient } from '../../client/RunlaterClient.ts';
import { ensureTestImages } from '../support/images.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';

const LINES = 204_800;
/** Line n: its number in 7 digits, a space, 1,015 spaces: 1 KiB with the newline, 200 MiB in all. */
const PAD = ' '.repeat(1015);
const lineText = (n: number) => `${String(n).padStart(7, '0')} ${PAD}`;
const NUMBERS = `awk "BEGIN{p=sprintf(\\"%1015s\\",\\"\\"); for(i=1;i<=${LINES};i++) printf \\"%07d %s\\n\\", i, p}"`;

/**
 * Issue 9, defects 1 and 2 on one machine: a big output kept whole and in order (Docker's log
 * driver used to rotate it away: 37% kept), and a page of it read without reading the rest.
 */
describe('the output of a 200 MiB job in local mode', () => {
  let server: TestServer;
  let jobId = '';

  before(async () => {
    await ensureTestImages();
    server = await startTestServer();
    const worker = { name: 'numbers', image: 'runlater-test/busybox', command: ['sh', '-c', NUMBERS] };
    assert.equal((await server.api('POST', '/v1/workers', worker)).status, 201);
    const res = await server.api('POST', '/v1/jobs', { worker: 'numbers' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    jobId = res.body.id;
    const job = await server.waitForFinal(jobId, 240_000);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
  });
  after(() => server.stop());

  const page = async (query: Record<string, string>) => {
    const { status, body } = await server.api('GET', `/v1/jobs/${jobId}/logs?${new URLSearchParams(query)}`);
    assert.equal(status, 200, JSON.stringify(body));
    return body as { lines: { stream: string; text?: string }[]; nextCursor: string; complete: boolean };
  };

  it('keeps every line, in order, and says it is complete after the last', async () => {
    let expected = 1;
    let cursor = '';
    for (let pages = 0; pages < 100; pages++) {
      const body = await page({ limit: '10000', ...(cursor ? { cursor } : {}) });
      for (const line of body.lines) {
        // Compared one by one, without keeping the lines: a failure names the first line lost.
        if (line.text !== lineText(expected)) assert.fail(`line ${expected}: got ${line.text?.slice(0, 7)}`);
        assert.equal(line.stream, 'stdout');
        expected += 1;
      }
      cursor = body.nextCursor;
      if (body.complete) break;
    }
    assert.equal(expected - 1, LINES);
  });

  it('serves the last page of ten lines from a cursor near the end', async () => {
    // The local cursor counts the lines before it.
    const body = await page({ cursor: String(LINES - 10), limit: '10' });
    assert.equal(body.lines.length, 10);
    body.lines.forEach((l, i) => assert.equal(l.text, lineText(LINES - 9 + i), `line ${LINES - 9 + i}`));
    assert.equal(body.nextCursor, String(LINES));
    const stdoutOnly = await page({ cursor: String(LINES - 3), limit: '10', stream: 'stdout' });
    assert.equal(stdoutOnly.lines.length, 3);
    assert.equal(stdoutOnly.complete, true);
    assert.equal((await page({ cursor: String(LINES - 3), stream: 'stderr' })).lines.length, 0);
  });

  it('gives a follower (as `jobs run --wait` follows) every byte of a job that is still writing', async () => {
    // 297,002 bytes over about two seconds: 3,000 lines of 99 bytes, then one that is not UTF-8.
    const script = [
      'i=0',
      'while [ $i -lt 30 ]; do awk -v s=$((i*100+1)) \'BEGIN{for(j=s;j<s+100;j++) printf "%098d\\n", j}\'; i=$((i+1)); usleep 50000; done',
      'printf "\\377\\n"',
    ].join('; ');
    const worker = { name: 'trickle', image: 'runlater-test/busybox', command: ['sh', '-c', script] };
    assert.equal((await server.api('POST', '/v1/workers', worker)).status, 201);
    const client = new RunlaterClient({ url: server.url, token: server.token });
    const job = await client.submitJob({ worker: 'trickle' });
    const parts: Buffer[] = [];
    for await (const line of client.followLogs(job.id, { pollMs: 50 })) parts.push(lineBytes(line));
    const expected = Array.from({ length: 3000 }, (_, i) => `${String(i + 1).padStart(98, '0')}\n`).join('');
    assert.deepEqual(Buffer.concat(parts), Buffer.concat([Buffer.from(expected), Buffer.from([0xff, 0x0a])]));
  });

  it("keeps the dev server's memory bounded while four readers page it", async () => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const firsts: { cursor: number; number?: string }[] = [];
    try {
      const reader = async (r: number) => {
        for (let i = 0; i < 10; i++) {
          const cursor = Math.floor(((r * 10 + i) / 40) * (LINES - 10));
          const body = await page({ cursor: String(cursor), limit: '10' });
          firsts.push({ cursor, number: body.lines[0]?.text?.slice(0, 7) });
        }
      };
      await Promise.all([0, 1, 2, 3].map(reader));
    } finally {
      clearInterval(sampler);
    }
    // The whole output is 200 MiB: reading it once would pass this bound.
    const grown = peak - before;
    assert.ok(grown < 150 * 2 ** 20, `the server's RSS grew by ${Math.round(grown / 2 ** 20)} MiB`);
    for (const { cursor, number } of firsts) assert.equal(number, lineText(cursor + 1).slice(0, 7));
  });
});
