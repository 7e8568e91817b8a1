import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../support/testServer.ts';
import { waitFor } from '../support/waitFor.ts';
import { startWebhookReceiver } from '../support/webhookReceiver.ts';
import { cliAgainstDevServer, runlater as runCli } from './runCli.ts';

/** `runlater ARGS`, its stdout as bytes (binary stdin and stdout must pass exactly), its stderr as text. */
async function runlater(args: string[], env: Record<string, string>, input?: Buffer) {
  const run = await runCli(args, env, { input });
  return { ...run, stderr: String(run.stderr) };
}

describe('the runlater CLI against the dev server', () => {
  let cli: Awaited<ReturnType<typeof cliAgainstDevServer>>;
  let server: TestServer;
  let home: string;
  let env: Record<string, string>;
  before(async () => {
    cli = await cliAgainstDevServer();
    ({ server, home, env } = cli);
  });
  after(() => cli.close());

  it('sets a webhook, shows its deliveries, and rotates the secret', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const made = await runlater(
        [
          'workers',
          'create',
          'hooked',
          '--image',
          'runlater-test/busybox',
          '--command',
          'true',
          '--notify',
          receiver.url,
          '-o',
          'json',
        ],
        env,
      );
      assert.equal(made.code, 0, made.stderr);
      const worker = JSON.parse(String(made.stdout));
      assert.match(worker.webhookSecret, /^whsec_/);
      const run = await runlater(['jobs', 'run', 'hooked', '--wait', '-o', 'json'], env);
      assert.equal(run.code, 0, run.stderr);
      const job = JSON.parse(String(run.stdout));
      const deliveries = await waitFor('the delivery', async () => {
        const shown = await runlater(['jobs', 'deliveries', job.id, '-o', 'json'], env);
        const list = JSON.parse(String(shown.stdout));
        return list[0]?.status === 'delivered' ? list : undefined;
      });
      assert.deepEqual(
        deliveries[0].attempts.map((a: any) => a.responseCode),
        [200],
      );
      const text = await runlater(['jobs', 'deliveries', job.id], env);
      assert.match(String(text.stdout), new RegExp(`msg_${job.id}_job.finished job.finished delivered`));
      const rotated = await runlater(['workers', 'rotate-secret', 'hooked'], env);
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.match(String(rotated.stdout), /^whsec_/);
      assert.notEqual(String(rotated.stdout).trim(), worker.webhookSecret);
      const help = await runlater(['jobs', 'deliveries', '--help'], env);
      assert.match(String(help.stdout), /Examples:/);
    } finally {
      await receiver.close();
    }
  });

  it('creates and lists workers', async () => {
    const made = await runlater(
      ['workers', 'create', 'cat', '--image', 'runlater-test/busybox', '--command', 'cat'],
      env,
    );
    assert.equal(made.code, 0, made.stderr);
    assert.match(String(made.stdout), /worker cat created/);
    const sh = await runlater(
      [
        'workers',
        'create',
        'sh',
        '--image',
        'runlater-test/busybox',
        '--command',
        'sh',
        '--command',
        '-c',
        '--command',
        'echo "to out $X"; echo "to err" >&2; exit 7',
        '--env',
        'X=worker',
      ],
      env,
    );
    assert.equal(sh.code, 0, sh.stderr);
    // Piped: one tab-separated row per worker, no header.
    const list = await runlater(['workers', 'list'], env);
    assert.match(String(list.stdout), /^cat\trunlater-test\/busybox\tcat\t/m);
    assert.doesNotMatch(String(list.stdout), /NAME/);
    const json = await runlater(['workers', 'list', '-o', 'json'], env);
    assert.deepEqual(JSON.parse(String(json.stdout)), (await server.api('GET', '/v1/workers')).body);
  });

  it("jobs run --wait streams the output byte for byte and exits with the job's exit code", async () => {
    const bytes = Buffer.concat([randomBytes(200_000), Buffer.from('\nlast line without newline')]);
    const file = join(home, 'input.bin');
    await writeFile(file, bytes);
    const run = await runlater(['jobs', 'run', 'cat', '--stdin', file, '--wait'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(
      run.stdout.equals(bytes),
      `stdout is the input (${run.stdout.length} of ${bytes.length} bytes)`,
    );

    const piped = await runlater(
      ['jobs', 'run', 'cat', '--stdin', '-', '--wait'],
      env,
      Buffer.from('from a pipe\n'),
    );
    assert.equal(String(piped.stdout), 'from a pipe\n');

    const failing = await runlater(['jobs', 'run', 'sh', '--env', 'X=job', '--wait'], env);
    assert.equal(failing.code, 7);
    assert.equal(String(failing.stdout), 'to out job\n');
    assert.match(failing.stderr, /^to err$/m);
  });

  it('jobs run without --wait prints the id; status, list and logs read it back', async () => {
    const run = await runlater(['jobs', 'run', 'sh'], env);
    assert.equal(run.code, 0, run.stderr);
    const id = String(run.stdout).trim();
    assert.match(id, /^[0-9a-z]{26}$/);
    await server.waitForFinal(id);
    const status = await runlater(['jobs', 'status', id, '-o', 'json'], env);
    assert.equal(JSON.parse(String(status.stdout)).exitCode, 7);
    // Where its start time went: the phases its attempt recorded, each with how long it lasted.
    const table = await runlater(['jobs', 'status', id], env);
    assert.match(
      String(table.stdout),
      /^phases\tqueued \d+ ms → dispatched [\d.]+ m?s → (created [\d.]+ m?s → )?started [\d.]+ m?s → stopped$/m,
    );
    const list = await runlater(['jobs', 'list', '--worker', 'sh', '--status', 'failed'], env);
    assert.match(String(list.stdout), new RegExp(`^${id}\\s+sh\\s+failed\\s+1\\s+7`, 'm'));
    const logs = await runlater(['jobs', 'logs', id, '--stream', 'stdout'], env);
    assert.equal(String(logs.stdout), 'to out worker\n');
    const follow = await runlater(['jobs', 'logs', id, '--follow'], env);
    assert.equal(String(follow.stdout), 'to out worker\n');
    assert.match(follow.stderr, /to err/);
  });

  it('refuses --env without "=" with exit 2, sending nothing', async () => {
    const before = (await server.api('GET', '/v1/jobs?limit=200')).body.jobs.length;
    const bad = await runlater(['jobs', 'run', 'cat', '--env', 'NOEQUALS'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected NAME=VALUE/);
    assert.equal((await server.api('GET', '/v1/jobs?limit=200')).body.jobs.length, before);
  });

  it('shows API errors plainly, with exit 1', async () => {
    const res = await runlater(['jobs', 'run', 'no-such-worker'], env);
    assert.equal(res.code, 1);
    assert.equal(res.stderr, 'error: worker "no-such-worker" does not exist (invalid_request)\n');
    const unauthorized = await runlater(['jobs', 'list'], { ...env, RUNLATER_TOKEN: 'wrong' });
    assert.equal(unauthorized.code, 1);
    assert.match(unauthorized.stderr, /unauthorized/);
  });

  it('finds the local server and its token by itself', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runlater-cli-local-'));
    try {
      await writeFile(join(dir, 'token'), `${server.token}\n`);
      const port = new URL(server.url).port;
      const res = await runlater(['jobs', 'list', '-o', 'json'], {
        HOME: home,
        PORT: port,
        RUNLATER_DATA_DIR: dir,
      });
      assert.equal(res.code, 0, res.stderr);
      assert.ok(Array.isArray(JSON.parse(String(res.stdout)).jobs));
      const none = await runlater(['jobs', 'list'], {
        HOME: home,
        PORT: port,
        RUNLATER_DATA_DIR: join(dir, 'missing'),
      });
      assert.equal(none.code, 1);
      assert.match(none.stderr, /no token: start `runlater dev`/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('bootstraps the first admin token of a deployment straight into its tokens table', async () => {
    const { startEmbeddedDynamo } = await import('../../local/embeddedDynamo.ts');
    const dynamo = await startEmbeddedDynamo(undefined);
    try {
      const res = await runlater(
        ['tokens', 'bootstrap', '--table', dynamo.tableNames.tokens, '--region', 'eu-west-1'],
        {
          HOME: home,
          AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'secret',
        },
      );
      assert.equal(res.code, 0, res.stderr);
      const token = String(res.stdout).trim();
      assert.match(token, /^rl_/);
      const { hashToken } = await import('../../lambdas/core/tokens.ts');
      const { DynamoTokenStore } = await import('../../lambdas/adapters/dynamodb/DynamoTokenStore.ts');
      const stored = await new DynamoTokenStore(dynamo.doc, dynamo.tableNames.tokens).get(hashToken(token));
      assert.deepEqual(stored?.scopes, ['admin']);
    } finally {
      await dynamo.close();
    }
  });

  it('has --help on every verb', async () => {
    for (const verb of [
      [],
      ['dev'],
      ['workers', 'create'],
      ['jobs', 'run'],
      ['jobs', 'logs'],
      ['schedules', 'create'],
      ['tokens', 'create'],
    ]) {
      const res = await runlater([...verb, '--help'], env);
      assert.equal(res.code, 0, verb.join(' '));
      assert.match(String(res.stdout), /^Usage: runlater/);
    }
  });

  it('pipes jobs: each stdout the next stdin, exact bytes, and --after/--stdin-from by hand', async () => {
    const input = Buffer.concat([randomBytes(500), Buffer.from('\n\0tail')]);
    const dir = await mkdtemp(join(tmpdir(), 'runlater-pipe-'));
    try {
      const file = join(dir, 'in.bin');
      await writeFile(file, input);
      const piped = await runlater(['pipe', 'cat', 'cat', 'cat', '--stdin', file, '--wait'], env);
      assert.equal(piped.code, 0, piped.stderr);
      assert.deepEqual(piped.stdout, input);

      const first = await runlater(['jobs', 'run', 'cat', '--stdin', file], env);
      const id = String(first.stdout).trim();
      const second = await runlater(['jobs', 'run', 'cat', '--after', id, '--stdin-from', id, '--wait'], env);
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(second.stdout, input);
      const help = await runlater(['pipe', '--help'], env);
      assert.match(String(help.stdout), /Examples:/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
