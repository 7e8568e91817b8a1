import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureTestImages } from '../support/images.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';
import { runlater } from './runCli.ts';

describe('runlater jobs run --array-split / --array-size, jobs list --parent', () => {
  let server: TestServer;
  let home: string;
  let env: Record<string, string>;
  before(async () => {
    await ensureTestImages();
    server = await startTestServer();
    home = await mkdtemp(join(tmpdir(), 'runlater-cli-arrays-'));
    env = { HOME: home, RUNLATER_URL: server.url, RUNLATER_TOKEN: server.token };
    for (const w of [
      {
        name: 'echo',
        image: 'runlater-test/busybox',
        command: ['sh', '-c', 'printf "%s:" "$RUNLATER_ARRAY_INDEX"; cat'],
      },
      {
        name: 'odd-fails',
        image: 'runlater-test/busybox',
        command: ['sh', '-c', 'exit $((RUNLATER_ARRAY_INDEX % 2))'],
      },
    ]) {
      const res = await server.api('POST', '/v1/workers', w);
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
  });
  after(async () => {
    await server.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('--wait on an array waits for its children and shows their counts; list --parent lists them', async () => {
    const run = await runlater(
      ['jobs', 'run', 'echo', '--stdin', '-', '--array-split', 'lines', '--wait'],
      env,
      {
        input: Buffer.from('a\nb\n'),
      },
    );
    assert.equal(run.code, 0, String(run.stderr));
    assert.match(String(run.stdout), /^array\t2 children: 2 succeeded$/m);
    const id = /^id\t(\S+)$/m.exec(String(run.stdout))![1]!;
    const list = await runlater(['jobs', 'list', '--parent', id, '-o', 'json'], env);
    assert.equal(list.code, 0, String(list.stderr));
    const kids = JSON.parse(String(list.stdout)).jobs;
    assert.deepEqual(
      kids.map((k: { id: string; arrayIndex: number }) => [k.id, k.arrayIndex]),
      [
        [`${id}-0`, 0],
        [`${id}-1`, 1],
      ],
    );
    const child = await runlater(['jobs', 'status', `${id}-1`], env);
    assert.match(String(child.stdout), new RegExp(`^parent\\t${id} \\(index 1\\)$`, 'm'));
  });

  it('--array-size N exits 1 when a child failed; the two array options go alone', async () => {
    const run = await runlater(['jobs', 'run', 'odd-fails', '--array-size', '2', '--wait'], env);
    assert.equal(run.code, 1, String(run.stderr));
    assert.match(String(run.stderr), /1 of 2 children failed/);
    const both = await runlater(['jobs', 'run', 'echo', '--array-size', '2', '--array-split', 'lines'], env);
    assert.equal(both.code, 2);
    assert.match(String(both.stderr), /cannot be used with/);
  });
});
