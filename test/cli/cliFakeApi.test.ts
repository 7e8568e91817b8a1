import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Job, LogLine } from '../../client/RunlaterClient.ts';
import { jobFixture } from '../support/fixtures.ts';
import { cliAgainstFakeApi, runlater } from './runCli.ts';

// The CLI as a user runs it (a child process), against a stand-in for the API that records every
// request: the request shapes, the exit codes and the exact output bytes are what is tested here.

const job = (over: Partial<Job> = {}): Job => jobFixture({ id: '01jobid', ...over });

const ts = new Date().toISOString();
const out = (text: string, partial = false): LogLine => ({
  stream: 'stdout',
  timestamp: ts,
  text,
  ...(partial ? { partial } : {}),
});
const err = (text: string, partial = false): LogLine => ({
  stream: 'stderr',
  timestamp: ts,
  text,
  ...(partial ? { partial } : {}),
});
const NOT_UTF8 = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x41]);

describe('the runlater CLI (against a fake API)', () => {
  const cli = cliAgainstFakeApi('tok-123', () => ({ status: 202, body: job() }));

  it('jobs run sends stdin as exact base64, env, options and the idempotency key; prints the id', async () => {
    const bytes = Buffer.concat([NOT_UTF8, Buffer.from('\r\nline 2 without newline')]);
    const file = join(cli.home, 'in.bin');
    await writeFile(file, bytes);
    const at = '2030-01-31T09:00:00.000Z';
    const run = await runlater(
      [
        'jobs',
        'run',
        'w',
        '--stdin',
        file,
        '--env',
        'A=1',
        '--env',
        'B=x=y',
        '--timeout',
        '30',
        '--at',
        at,
      ].concat(['--max-attempts', '3', '--backoff', '1m', '--idempotency-key', 'key-7']),
      cli.env,
    );
    assert.equal(run.code, 0, String(run.stderr));
    assert.equal(String(run.stdout), '01jobid\n');
    assert.equal(cli.api.requests.length, 1);
    const [req] = cli.api.requests;
    assert.deepEqual([req!.method, req!.path], ['POST', '/v1/jobs']);
    assert.equal(req!.headers.authorization, 'Bearer tok-123');
    assert.equal(req!.headers['idempotency-key'], 'key-7');
    const body = JSON.parse(req!.body);
    assert.deepEqual(body, {
      worker: 'w',
      stdinBase64: bytes.toString('base64'),
      env: { A: '1', B: 'x=y' },
      timeoutSeconds: 30,
      runAt: at,
      retry: { maxAttempts: 3, backoff: '1m' },
    });
    assert.ok(Buffer.from(body.stdinBase64, 'base64').equals(bytes));

    const piped = await runlater(
      ['jobs', 'run', 'w', '--stdin', '-', '--delay', '90', '-o', 'json'],
      cli.env,
      { input: NOT_UTF8 },
    );
    assert.equal(piped.code, 0, String(piped.stderr));
    assert.equal(JSON.parse(String(piped.stdout)).id, '01jobid');
    const second = JSON.parse(cli.api.requests[1]!.body);
    assert.deepEqual(second, { worker: 'w', stdinBase64: NOT_UTF8.toString('base64'), delaySeconds: 90 });
    assert.equal(cli.api.requests[1]!.headers['idempotency-key'], undefined);
  });

  it('jobs run --wait writes the output byte for byte and exits with the exit code', async () => {
    let jobReads = 0;
    cli.reply = (req) => {
      if (req.method === 'POST') return { status: 202, body: job() };
      if (req.path.split('?')[0] === '/v1/jobs/01jobid') {
        jobReads++;
        if (jobReads === 1) return { status: 200, body: job() };
        if (jobReads === 2) return { status: 200, body: job({ status: 'running', attempt: 1 }) };
        return { status: 200, body: job({ status: 'failed', attempt: 1, exitCode: 3 }) };
      }
      const cursor = new URL(req.path, 'http://x').searchParams.get('cursor');
      const page = (lines: LogLine[], nextCursor: string, complete = false) => ({
        status: 200,
        body: { jobId: '01jobid', attempt: 1, lines, nextCursor, complete },
      });
      if (!cursor) {
        return page(
          [
            out('héllo wörld'),
            err('warn: one'),
            { stream: 'stdout', timestamp: ts, base64: NOT_UTF8.toString('base64') },
            out(''),
          ],
          'c1',
        );
      }
      if (cursor === 'c1' && jobReads >= 3)
        return page([err('50%', true), out('no newline at the end', true)], 'c2', true);
      return page([], cursor);
    };
    const run = await runlater(['jobs', 'run', 'w', '--wait'], cli.env);
    assert.equal(run.code, 3, String(run.stderr));
    const expected = Buffer.concat([
      Buffer.from('héllo wörld\n'),
      NOT_UTF8,
      Buffer.from('\n\nno newline at the end'),
    ]);
    assert.ok(run.stdout.equals(expected), `stdout: ${JSON.stringify(String(run.stdout))}`);
    assert.equal(String(run.stderr), 'warn: one\n50%');
    const logCalls = cli.api.requests.filter((r) => r.path.includes('/logs'));
    assert.ok(logCalls.length < 20, `polled modestly (${logCalls.length} log reads)`);
    assert.ok(logCalls.every((r) => r.headers.authorization === 'Bearer tok-123'));
  });

  it('jobs status shows where each attempt spent its time; -o json is the API answer as it came', async () => {
    const attempt = (n: number, phases: Job['attempts'][number]['phases']) => ({
      attempt: n,
      taskId: `t${n}`,
      status: 'failed' as const,
      exitCode: 1,
      startedAt: null,
      finishedAt: null,
      reason: null,
      phases,
    });
    const at = (ms: number) => new Date(Date.parse('2026-11-26T07:00:00.000Z') + ms).toISOString();
    const answer = job({
      status: 'failed',
      attempt: 2,
      exitCode: 1,
      createdAt: at(0),
      attempts: [
        attempt(1, {
          dispatchedAt: at(12),
          pullStartedAt: at(40),
          pullStoppedAt: at(1440),
          startedAt: at(1500),
          stoppedAt: at(186_500),
        }),
        attempt(2, { dispatchedAt: at(200_000), startedAt: at(200_300) }),
      ],
    });
    cli.reply = () => ({ status: 200, body: answer });
    const run = await runlater(['jobs', 'status', '01jobid'], cli.env);
    assert.equal(run.code, 0, String(run.stderr));
    const lines = String(run.stdout).split('\n');
    assert.ok(
      lines.includes(
        'phases #1\tqueued 12 ms → dispatched 28 ms → pull 1.4 s → pulled 60 ms → started 3m 05s → stopped',
      ),
      String(run.stdout),
    );
    assert.ok(lines.includes('phases #2\tdispatched 300 ms → started'), String(run.stdout));
    const json = await runlater(['jobs', 'status', '01jobid', '-o', 'json'], cli.env);
    assert.deepEqual(JSON.parse(String(json.stdout)), answer);
  });

  it('jobs run --wait exits 1 with a message when the job has no exit code to give', async () => {
    cli.reply = (req) =>
      req.method === 'POST'
        ? { status: 202, body: job() }
        : req.path.includes('/logs')
          ? { status: 200, body: { jobId: '01jobid', attempt: 1, lines: [], nextCursor: '', complete: true } }
          : { status: 200, body: job({ status: 'timed_out', attempt: 1, error: 'ran longer than 60 s' }) };
    const run = await runlater(['jobs', 'run', 'w', '--wait'], cli.env);
    assert.equal(run.code, 1);
    assert.equal(String(run.stderr), 'error: job 01jobid timed out: ran longer than 60 s\n');
    assert.equal(run.stdout.length, 0);

    const json = await runlater(['jobs', 'run', 'w', '--wait', '-o', 'json'], cli.env);
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(String(json.stdout)).status, 'timed_out');
  });

  it('refuses --env without "=" with exit 2 and sends nothing', async () => {
    for (const bad of ['NOEQUALS', '=value']) {
      const run = await runlater(['jobs', 'run', 'w', '--env', bad], cli.env);
      assert.equal(run.code, 2);
      assert.match(String(run.stderr), /expected NAME=VALUE/);
    }
    const worker = await runlater(['workers', 'create', 'w', '--image', 'busybox', '--env', 'X'], cli.env);
    assert.equal(worker.code, 2);
    assert.equal(cli.api.requests.length, 0);
  });

  it('prints API errors as "error: <message> (<code>)" with exit 1', async () => {
    cli.reply = () => ({
      status: 404,
      body: { error: { code: 'not_found', message: 'job nope does not exist' } },
    });
    const run = await runlater(['jobs', 'status', 'nope'], cli.env);
    assert.equal(run.code, 1);
    assert.equal(String(run.stderr), 'error: job nope does not exist (not_found)\n');
    assert.equal(run.stdout.length, 0);
  });

  it('workers create and update send the settings; update keeps what is not given', async () => {
    const current = {
      name: 'w',
      image: 'busybox:1',
      command: ['cat'],
      env: { A: '1' },
      cpu: 256,
      memory: 512,
      timeoutSeconds: 60,
      retry: { maxAttempts: 2, backoff: '1m', jitter: true },
      createdAt: ts,
      updatedAt: ts,
      revision: 1,
    };
    cli.reply = (req) => ({ status: req.method === 'POST' ? 201 : 200, body: current });
    const made = await runlater(
      ['workers', 'create', 'w', '--image', 'busybox:1', '--command', 'sh', '--command', '-c'].concat([
        '--command',
        'echo $A',
        '--env',
        'A=1',
        '--cpu',
        '512',
        '--memory',
        '1024',
        '--backoff',
        '5,10',
      ]),
      cli.env,
    );
    assert.equal(made.code, 0, String(made.stderr));
    assert.deepEqual(JSON.parse(cli.api.requests[0]!.body), {
      name: 'w',
      image: 'busybox:1',
      command: ['sh', '-c', 'echo $A'],
      env: { A: '1' },
      cpu: 512,
      memory: 1024,
      retry: { backoff: [5, 10] },
    });

    const updated = await runlater(
      ['workers', 'update', 'w', '--memory', '2048', '--max-attempts', '5'],
      cli.env,
    );
    assert.equal(updated.code, 0, String(updated.stderr));
    assert.deepEqual(
      cli.api.requests.slice(1).map((r) => [r.method, r.path]),
      [
        ['GET', '/v1/workers/w'],
        ['PUT', '/v1/workers/w'],
      ],
    );
    assert.deepEqual(JSON.parse(cli.api.requests[2]!.body), {
      image: 'busybox:1',
      command: ['cat'],
      env: { A: '1' },
      cpu: 256,
      memory: 2048,
      timeoutSeconds: 60,
      retry: { maxAttempts: 5, backoff: '1m', jitter: true },
    });
  });

  it('finds the server by itself: flags, env, saved login, then the local dev server', async () => {
    cli.reply = () => ({ status: 200, body: { jobs: [] } });
    const cwd = join(cli.home, 'project');
    await mkdir(join(cwd, '.runlater'), { recursive: true });
    await writeFile(join(cwd, '.runlater', 'token'), 'dev-tok\n');
    const port = new URL(cli.api.url).port;
    const bare = { HOME: cli.home, CWD: cwd, PORT: port };

    const local = await runlater(['jobs', 'list', '-o', 'json'], bare);
    assert.equal(local.code, 0, String(local.stderr));
    assert.equal(cli.api.requests.at(-1)!.headers.authorization, 'Bearer dev-tok');

    const login = await runlater(['login', cli.api.url, '--token', 'saved-tok'], bare);
    assert.equal(login.code, 0, String(login.stderr));
    const profile = JSON.parse(await readFile(join(cli.home, '.config', 'runlater', 'config.json'), 'utf8'));
    assert.deepEqual(profile, { profiles: { default: { url: cli.api.url, token: 'saved-tok' } } });
    await runlater(['jobs', 'list'], { ...bare, PORT: '1' });
    assert.equal(cli.api.requests.at(-1)!.headers.authorization, 'Bearer saved-tok');

    await runlater(['jobs', 'list'], { ...bare, RUNLATER_TOKEN: 'env-tok' });
    assert.equal(cli.api.requests.at(-1)!.headers.authorization, 'Bearer env-tok');
    await runlater(['--token', 'flag-tok', 'jobs', 'list'], { ...bare, RUNLATER_TOKEN: 'env-tok' });
    assert.equal(cli.api.requests.at(-1)!.headers.authorization, 'Bearer flag-tok');

    const none = await runlater(['jobs', 'list'], {
      HOME: join(cli.home, 'nobody'),
      CWD: cli.home,
      PORT: port,
    });
    assert.equal(none.code, 1);
    assert.match(
      String(none.stderr),
      /^error: no token: start `runlater dev` or set RUNLATER_TOKEN \/ run `runlater login`/,
    );
  });

  it('prints tab-separated rows to a pipe, and the API answer for -o json', async () => {
    const listed = job({ status: 'succeeded', attempt: 1, exitCode: 0 });
    cli.reply = () => ({ status: 200, body: { jobs: [listed] } });
    const table = await runlater(
      ['jobs', 'list', '--worker', 'w', '--status', 'succeeded', '--limit', '5'],
      cli.env,
    );
    assert.equal(table.code, 0, String(table.stderr));
    assert.equal(cli.api.requests[0]!.path, '/v1/jobs?worker=w&status=succeeded&limit=5');
    // stdout is a pipe here: no header, no padding, no colour; one tab between fields.
    assert.equal(String(table.stdout), `01jobid\tw\tsucceeded\t1\t0\t${listed.createdAt}\n`);
    const json = await runlater(['jobs', 'list', '-o', 'json'], cli.env);
    assert.deepEqual(JSON.parse(String(json.stdout)), { jobs: [listed] });
    const yaml = await runlater(['jobs', 'list', '--output', 'yaml'], cli.env);
    assert.match(String(yaml.stdout), /^jobs:\n {2}- id: 01jobid\n/);
    const bad = await runlater(['jobs', 'list', '--status', 'done'], cli.env);
    assert.equal(bad.code, 2);
  });

  it('has --help on every verb', async () => {
    const verbs = [[], ['dev'], ['login'], ['workers', 'create'], ['workers', 'list'], ['workers', 'show']]
      .concat([
        ['workers', 'update'],
        ['workers', 'delete'],
        ['jobs', 'run'],
        ['jobs', 'status'],
      ])
      .concat([
        ['jobs', 'list'],
        ['jobs', 'logs'],
        ['jobs', 'cancel'],
      ]);
    await Promise.all(
      verbs.map(async (verb) => {
        const res = await runlater([...verb, '--help'], cli.env);
        assert.equal(res.code, 0, verb.join(' '));
        assert.match(String(res.stdout), new RegExp(`^Usage: runlater ${verb.join(' ')}`));
        assert.match(String(res.stdout), /--token <token>/);
      }),
    );
    assert.equal(cli.api.requests.length, 0);
  });
});
