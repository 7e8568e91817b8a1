import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lineBytes, RunlaterApiError, RunlaterClient, type LogLine } from '../../client/RunlaterClient.ts';
import { readProfile, resolveConnection, saveProfile } from '../../client/config.ts';
import { fakeApi, type Recorded, type Reply } from '../support/fakeApi.ts';
import { jobFixture } from '../support/fixtures.ts';

const job = jobFixture;

const line = (text: string, over: Partial<LogLine> = {}): LogLine => ({
  stream: 'stdout',
  timestamp: new Date().toISOString(),
  text,
  ...over,
});

describe('RunlaterClient', () => {
  let api: Awaited<ReturnType<typeof fakeApi>>;
  let reply: (req: Recorded) => Reply = () => ({ status: 200, body: {} });
  let client: RunlaterClient;
  before(async () => {
    api = await fakeApi((req) => reply(req));
    client = new RunlaterClient({ url: `${api.url}/`, token: 'sekrit' });
  });
  after(() => api.close());
  const last = () => api.requests.at(-1)!;

  it('sends each call as the API expects: method, path, bearer token, JSON body', async () => {
    reply = (req) => ({
      status: req.method === 'DELETE' ? 204 : 200,
      body: req.method === 'DELETE' ? undefined : { workers: [] },
    });
    await client.createWorker({ name: 'w', image: 'busybox', command: ['cat'], retry: { backoff: [1, 2] } });
    assert.equal(last().method, 'POST');
    assert.equal(last().path, '/v1/workers');
    assert.equal(last().headers.authorization, 'Bearer sekrit');
    assert.equal(last().headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(last().body), {
      name: 'w',
      image: 'busybox',
      command: ['cat'],
      retry: { backoff: [1, 2] },
    });

    assert.deepEqual(await client.listWorkers(), []);
    assert.deepEqual([last().method, last().path], ['GET', '/v1/workers']);
    await client.getWorker('a/b');
    assert.equal(last().path, '/v1/workers/a%2Fb');
    await client.updateWorker('w', { image: 'busybox:2' });
    assert.deepEqual(
      [last().method, last().path, last().body],
      ['PUT', '/v1/workers/w', '{"image":"busybox:2"}'],
    );
    assert.equal(await client.deleteWorker('w'), undefined);
    assert.deepEqual([last().method, last().path], ['DELETE', '/v1/workers/w']);

    await client.submitJob({ worker: 'w', stdinBase64: 'AP8=' }, { idempotencyKey: 'k-1' });
    assert.deepEqual([last().method, last().path], ['POST', '/v1/jobs']);
    assert.equal(last().headers['idempotency-key'], 'k-1');
    assert.deepEqual(JSON.parse(last().body), { worker: 'w', stdinBase64: 'AP8=' });
    await client.submitJob({ worker: 'w' });
    assert.equal(last().headers['idempotency-key'], undefined);

    await client.listJobs({ worker: 'w', status: 'failed', limit: 5, cursor: 'c d' });
    assert.equal(last().path, '/v1/jobs?worker=w&status=failed&limit=5&cursor=c+d');
    await client.listJobs();
    assert.equal(last().path, '/v1/jobs');
    await client.cancelJob('j1');
    assert.deepEqual([last().method, last().path, last().body], ['POST', '/v1/jobs/j1/cancel', '']);
    await client.getLogs('j1', { stream: 'stderr', attempt: 2, cursor: 'x' });
    assert.equal(last().path, '/v1/jobs/j1/logs?stream=stderr&attempt=2&cursor=x');
  });

  it('turns error answers into RunlaterApiError with status, code, message and field', async () => {
    reply = () => ({
      status: 400,
      body: { error: { code: 'invalid_request', message: 'body.image: bad', field: 'image' } },
    });
    const err = await client.createWorker({ name: 'w', image: '' }).catch((e: unknown) => e);
    assert.ok(err instanceof RunlaterApiError);
    assert.deepEqual(
      [err.status, err.code, err.message, err.field],
      [400, 'invalid_request', 'body.image: bad', 'image'],
    );

    reply = () => ({ status: 502, raw: '<html>Bad Gateway</html>' });
    await assert.rejects(
      client.getJob('j1'),
      (e: RunlaterApiError) => e.status === 502 && e.code === 'http_502',
    );

    const nowhere = new RunlaterClient({ url: 'http://127.0.0.1:9', token: 't' });
    await assert.rejects(
      nowhere.health(),
      (e: RunlaterApiError) => e.status === 0 && e.code === 'unreachable',
    );
  });

  it('follows the output until the job is final and everything is read, attempt after attempt', async () => {
    // The job fails its first attempt, is retried, and its second attempt writes more after the
    // first empty page: the follower must read both attempts in full, then stop by itself.
    let jobReads = 0;
    reply = (req) => {
      if (req.path.split('?')[0] === '/v1/jobs/j1') {
        jobReads++;
        if (jobReads === 1) return { status: 200, body: job({ status: 'running', attempt: 1 }) };
        if (jobReads === 2) return { status: 200, body: job({ status: 'running', attempt: 2 }) };
        return { status: 200, body: job({ status: 'succeeded', attempt: 2, exitCode: 0 }) };
      }
      const url = new URL(req.path, 'http://x');
      const [attempt, cursor] = [url.searchParams.get('attempt'), url.searchParams.get('cursor')];
      const page = (lines: LogLine[], nextCursor: string, complete: boolean) => ({
        status: 200,
        body: { jobId: 'j1', attempt: Number(attempt), lines, nextCursor, complete },
      });
      if (attempt === '1') return cursor ? page([], 'a1', true) : page([line('one')], 'a1', false);
      if (!cursor) return page([line('two')], 'b1', false);
      if (cursor === 'b1' && jobReads >= 3) return page([line('three', { partial: true })], 'b2', true);
      return page([], cursor, false);
    };
    const seen: string[] = [];
    const deadline = AbortSignal.timeout(5000);
    for await (const l of client.followLogs('j1', { pollMs: 10, signal: deadline })) seen.push(l.text!);
    assert.equal(deadline.aborted, false);
    assert.deepEqual(seen, ['one', 'two', 'three']);
    const logPaths = api.requests.filter((r) => r.path.includes('/logs')).map((r) => r.path);
    assert.ok(logPaths.every((p) => p.includes('attempt=')));
    // Between reads of output the job is long-polled, not slept on.
    const jobPaths = api.requests.filter((r) => r.path.startsWith('/v1/jobs/j1?')).map((r) => r.path);
    assert.deepEqual(jobPaths.slice(-3), Array(3).fill('/v1/jobs/j1?waitSeconds=1'));
  });

  it('ends a follow quietly when its signal aborts', async () => {
    reply = (req) =>
      req.path.split('?')[0] === '/v1/jobs/j1'
        ? { status: 200, body: job({ status: 'running', attempt: 1 }) }
        : { status: 200, body: { jobId: 'j1', attempt: 1, lines: [], nextCursor: '', complete: false } };
    const started = Date.now();
    for await (const _ of client.followLogs('j1', { pollMs: 20, signal: AbortSignal.timeout(200) })) {
      assert.fail('no lines expected');
    }
    assert.ok(Date.now() - started < 2000);
  });

  it('waits for a final job by long-polling it, or gives up after timeoutMs', async () => {
    let reads = 0;
    reply = () => ({
      status: 200,
      body: job(++reads < 3 ? { status: 'running' } : { status: 'failed', exitCode: 4 }),
    });
    const done = await client.waitForJob('j1', { pollMs: 10, timeoutMs: 5000 });
    assert.deepEqual([done.status, done.exitCode, reads], ['failed', 4, 3]);
    assert.equal(last().path, '/v1/jobs/j1?waitSeconds=4');
    await client.waitForJob('j1');
    assert.equal(last().path, '/v1/jobs/j1?waitSeconds=20');
    reply = () => ({ status: 200, body: job({ status: 'running' }) });
    await assert.rejects(
      client.waitForJob('j1', { pollMs: 10, timeoutMs: 100 }),
      /still running after 100 ms/,
    );
  });

  it('reads a job that a server answers at once (no long-poll) no more often than pollMs', async () => {
    reply = () => ({ status: 200, body: job({ status: 'running' }) });
    const before = api.requests.length;
    await assert.rejects(client.waitForJob('j1', { pollMs: 100, timeoutMs: 350 }), /still running/);
    // 350 ms at one read per 100 ms at most: no tight loop against a server that does not wait.
    assert.ok(api.requests.length - before <= 5, `${api.requests.length - before} reads`);
  });

  it('rebuilds the exact bytes of a line', () => {
    assert.deepEqual(lineBytes(line('hé')), Buffer.from('hé\n'));
    assert.deepEqual(lineBytes({ ...line(''), text: undefined, base64: '/wA=' }), Buffer.from([0xff, 0, 10]));
    assert.deepEqual(lineBytes(line('end', { partial: true })), Buffer.from('end'));
  });
});

describe('resolveConnection', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runlater-config-'));
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'data', 'token'), 'dev-token\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('takes options, then env, then the saved login, then the local dev server', async () => {
    const home = join(dir, 'home');
    const env: Record<string, string> = { HOME: home, PORT: '9999', RUNLATER_DATA_DIR: 'data' };
    const resolve = (o = {}) => resolveConnection({ cwd: dir, env, ...o });

    assert.deepEqual(await resolve(), {
      url: 'http://127.0.0.1:9999',
      token: 'dev-token',
      source: join(dir, 'data', 'token'),
    });

    const path = await saveProfile({ url: 'https://api.example/', token: 'saved' }, env);
    assert.equal(path, join(home, '.config', 'runlater', 'config.json'));
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readProfile(env), { url: 'https://api.example', token: 'saved' });
    assert.deepEqual(await resolve(), { url: 'https://api.example', token: 'saved', source: path });

    env.RUNLATER_URL = 'http://other:1';
    // The saved token belongs to its own server only; the dev token is the fallback.
    assert.deepEqual(await resolve(), {
      url: 'http://other:1',
      token: 'dev-token',
      source: join(dir, 'data', 'token'),
    });
    env.RUNLATER_TOKEN = 'from-env';
    assert.deepEqual(await resolve(), { url: 'http://other:1', token: 'from-env', source: 'RUNLATER_TOKEN' });
    assert.deepEqual(await resolve({ url: 'http://flag:2', token: 'flag' }), {
      url: 'http://flag:2',
      token: 'flag',
      source: '--token',
    });
  });

  it('says how to get a token when there is none', async () => {
    const env = { HOME: join(dir, 'nohome'), RUNLATER_DATA_DIR: join(dir, 'missing') };
    await assert.rejects(
      resolveConnection({ env }),
      /^RunlaterConfigError: no token: start `runlater dev` or set RUNLATER_TOKEN \/ run `runlater login`/,
    );
  });

  it('refuses a broken profile instead of ignoring it', async () => {
    const env = { XDG_CONFIG_HOME: join(dir, 'xdg') };
    await mkdir(join(dir, 'xdg', 'runlater'), { recursive: true });
    await writeFile(join(dir, 'xdg', 'runlater', 'config.json'), '{"url": 1');
    await assert.rejects(resolveConnection({ env }), /config\.json is not/);
  });
});
