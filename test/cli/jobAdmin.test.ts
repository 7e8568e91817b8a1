import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureTestImages } from '../support/images.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

/** Runs `runlater ARGS` as a user would, with its own config home so no saved login leaks in. */
function runlater(
  args: string[],
  env: Record<string, string>,
  input = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/runlater.mjs', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH!, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

describe('runlater jobs rerun, delete and purge', () => {
  let server: TestServer;
  let home: string;
  let env: Record<string, string>;
  before(async () => {
    await ensureTestImages();
    server = await startTestServer();
    home = await mkdtemp(join(tmpdir(), 'runlater-cli-home-'));
    env = { HOME: home, RUNLATER_URL: server.url, RUNLATER_TOKEN: server.token };
    const res = await server.api('POST', '/v1/workers', {
      name: 'greet',
      image: 'runlater-test/busybox',
      command: ['sh', '-c', 'echo "hi $WHO"; exit "${CODE:-0}"'],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
  after(async () => {
    await server.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('rerun --wait streams the new job and exits with its code; --env overrides', async () => {
    const first = await runlater(['jobs', 'run', 'greet', '--env', 'WHO=you', '--wait'], env);
    assert.equal(first.code, 0, first.stderr);
    const id = (await server.api('GET', '/v1/jobs?worker=greet')).body.jobs[0].id;

    const again = await runlater(['jobs', 'rerun', id, '--env', 'CODE=3', '--wait'], env);
    assert.equal(again.code, 3, again.stderr);
    assert.equal(again.stdout, 'hi you\n');

    const json = await runlater(['jobs', 'rerun', id, '-o', 'json'], env);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).rerunOf, id);
    await server.waitForFinal(JSON.parse(json.stdout).id);
  });

  it('delete removes a finished job, then says it does not exist (exit 1)', async () => {
    const run = await runlater(['jobs', 'run', 'greet', '--wait', '-o', 'json'], env);
    const id = JSON.parse(run.stdout).id;
    const del = await runlater(['jobs', 'delete', id], env);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.stdout, `job ${id} deleted\n`);
    const again = await runlater(['jobs', 'delete', id], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /does not exist/);
  });

  it('purge --all deletes every finished job of a worker and prints the count', async () => {
    const before = (await server.api('GET', '/v1/jobs?worker=greet')).body.jobs.length;
    assert.ok(before > 0);
    const purge = await runlater(
      ['jobs', 'purge', '--worker', 'greet', '--limit', '1', '--all', '-o', 'json'],
      env,
    );
    assert.equal(purge.code, 0, purge.stderr);
    assert.deepEqual(JSON.parse(purge.stdout), { deleted: before, more: false });
    assert.deepEqual((await server.api('GET', '/v1/jobs?worker=greet')).body.jobs, []);
  });

  it('secrets set reads the value from stdin; list shows names only; the job gets it', async () => {
    const value = `v-${Math.random().toString(36).slice(2)}`;
    const set = await runlater(['secrets', 'set', 'cli-secret'], env, `${value}\n`);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'secret cli-secret set\n');
    const list = await runlater(['secrets', 'list', '-o', 'json'], env);
    assert.deepEqual(
      JSON.parse(list.stdout).secrets.map((s: { name: string }) => s.name),
      ['cli-secret'],
    );
    assert.ok(!list.stdout.includes(value));
    const made = await runlater(
      [
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
      ],
      env,
    );
    assert.equal(made.code, 0, made.stderr);
    // An update that does not mention secrets keeps them.
    const updated = await runlater(['workers', 'update', 'has-secret', '--timeout', '60'], env);
    assert.equal(updated.code, 0, updated.stderr);
    assert.deepEqual((await server.api('GET', '/v1/workers/has-secret')).body.secrets, { S: 'cli-secret' });
    const job = await runlater(['jobs', 'run', 'has-secret', '--wait'], env);
    assert.equal(job.code, 0, job.stderr);
    assert.equal(job.stdout, `length ${value.length}\n`, 'the value arrived without its newline');
    const del = await runlater(['secrets', 'delete', 'cli-secret'], env);
    assert.equal(del.code, 0, del.stderr);
    assert.equal((await runlater(['secrets', 'delete', 'cli-secret'], env)).code, 1);
  });
});
