import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cliAgainstDevServer } from './runCli.ts';

describe('runlater jobs run --array-split / --array-size, jobs list --parent', () => {
  let cli: Awaited<ReturnType<typeof cliAgainstDevServer>>;
  before(async () => {
    cli = await cliAgainstDevServer();
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
      const res = await cli.server.api('POST', '/v1/workers', w);
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
  });
  after(() => cli.close());

  it('--wait on an array waits for its children and shows their counts; list --parent lists them', async () => {
    const run = await cli.run(
      ['jobs', 'run', 'echo', '--stdin', '-', '--array-split', 'lines', '--wait'],
      'a\nb\n',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^array\t2 children: 2 succeeded$/m);
    const id = /^id\t(\S+)$/m.exec(run.stdout)![1]!;
    const list = await cli.run(['jobs', 'list', '--parent', id, '-o', 'json']);
    assert.equal(list.code, 0, list.stderr);
    const kids = JSON.parse(list.stdout).jobs;
    assert.deepEqual(
      kids.map((k: { id: string; arrayIndex: number }) => [k.id, k.arrayIndex]),
      [
        [`${id}-0`, 0],
        [`${id}-1`, 1],
      ],
    );
    const child = await cli.run(['jobs', 'status', `${id}-1`]);
    assert.match(child.stdout, new RegExp(`^parent\\t${id} \\(index 1\\)$`, 'm'));
  });

  it('--array-size N exits 1 when a child failed; the two array options go alone', async () => {
    const run = await cli.run(['jobs', 'run', 'odd-fails', '--array-size', '2', '--wait']);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /1 of 2 children failed/);
    const both = await cli.run(['jobs', 'run', 'echo', '--array-size', '2', '--array-split', 'lines']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /cannot be used with/);
  });
});
