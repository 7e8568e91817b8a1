import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../support/testServer.ts';
import { cliAgainstDevServer } from './runCli.ts';

describe('runlater jobs rerun, delete and purge', () => {
  let cli: Awaited<ReturnType<typeof cliAgainstDevServer>>;
  let server: TestServer;
  before(async () => {
    cli = await cliAgainstDevServer();
    server = cli.server;
    const res = await server.api('POST', '/v1/workers', {
      name: 'greet',
      image: 'runlater-test/busybox',
      command: ['sh', '-c', 'echo "hi $WHO"; exit "${CODE:-0}"'],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
  after(() => cli.close());

  it('rerun --wait streams the new job and exits with its code; --env overrides', async () => {
    const first = await cli.run(['jobs', 'run', 'greet', '--env', 'WHO=you', '--wait']);
    assert.equal(first.code, 0, first.stderr);
    const id = (await server.api('GET', '/v1/jobs?worker=greet')).body.jobs[0].id;

    const again = await cli.run(['jobs', 'rerun', id, '--env', 'CODE=3', '--wait']);
    assert.equal(again.code, 3, again.stderr);
    assert.equal(again.stdout, 'hi you\n');

    const json = await cli.run(['jobs', 'rerun', id, '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).rerunOf, id);
    await server.waitForFinal(JSON.parse(json.stdout).id);
  });

  it('delete removes a finished job, then says it does not exist (exit 1)', async () => {
    const run = await cli.run(['jobs', 'run', 'greet', '--wait', '-o', 'json']);
    const id = JSON.parse(run.stdout).id;
    const del = await cli.run(['jobs', 'delete', id]);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.stdout, `job ${id} deleted\n`);
    const again = await cli.run(['jobs', 'delete', id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /does not exist/);
  });

  it('purge --all deletes every finished job of a worker and prints the count', async () => {
    const before = (await server.api('GET', '/v1/jobs?worker=greet')).body.jobs.length;
    assert.ok(before > 0);
    const purge = await cli.run([
      'jobs',
      'purge',
      '--worker',
      'greet',
      '--limit',
      '1',
      '--all',
      '-o',
      'json',
    ]);
    assert.equal(purge.code, 0, purge.stderr);
    assert.deepEqual(JSON.parse(purge.stdout), { deleted: before, more: false });
    assert.deepEqual((await server.api('GET', '/v1/jobs?worker=greet')).body.jobs, []);
  });

  it('secrets set reads the value from stdin; list shows names only; the job gets it', async () => {
    const value = `v-${Math.random().toString(36).slice(2)}`;
    const set = await cli.run(['secrets', 'set', 'cli-secret'], `${value}\n`);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'secret cli-secret set\n');
    const list = await cli.run(['secrets', 'list', '-o', 'json']);
    assert.deepEqual(
      JSON.parse(list.stdout).secrets.map((s: { name: string }) => s.name),
      ['cli-secret'],
    );
    assert.ok(!list.stdout.includes(value));
    const made = await cli.run([
      'workers',
      'create',
      'has-secret',
      '--image',
      'runlater-test/busybox',
      '--command',
      'sh',
      '--command',
      '-c',
      '--command',
      'echo "length ${#S}"',
      '--secret',
      'S=cli-secret',
    ]);
    assert.equal(made.code, 0, made.stderr);
    // An update that does not mention secrets keeps them.
    const updated = await cli.run(['workers', 'update', 'has-secret', '--timeout', '60']);
    assert.equal(updated.code, 0, updated.stderr);
    assert.deepEqual((await server.api('GET', '/v1/workers/has-secret')).body.secrets, { S: 'cli-secret' });
    const job = await cli.run(['jobs', 'run', 'has-secret', '--wait']);
    assert.equal(job.code, 0, job.stderr);
    assert.equal(job.stdout, `length ${value.length}\n`, 'the value arrived without its newline');
    const del = await cli.run(['secrets', 'delete', 'cli-secret']);
    assert.equal(del.code, 0, del.stderr);
    assert.equal((await cli.run(['secrets', 'delete', 'cli-secret'])).code, 1);
  });
});
