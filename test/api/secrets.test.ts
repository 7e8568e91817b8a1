import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureTestImages } from '../support/images.ts';
import { readAllLogs, startTestServer, type TestServer } from '../support/testServer.ts';

/** Every file under `dir` but `skip`, for a search of the data dir for a secret's value. */
async function filesUnder(dir: string, skip: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (path === skip) continue;
    if (entry.isDirectory()) out.push(...(await filesUnder(path, skip)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Secrets on one machine: set through the API, put in the job's env, and shown nowhere. */
describe('secrets (runlater dev)', () => {
  let server: TestServer;
  const value = `s3cr3t-${randomBytes(12).toString('hex')}`;
  before(async () => {
    await ensureTestImages();
    server = await startTestServer();
  });
  after(() => server.stop());

  it('are kept in the data dir, owner-only, and listed by name only', async () => {
    const set = await server.api('PUT', '/v1/secrets/db-password', { value });
    assert.equal(set.status, 204, JSON.stringify(set.body));
    const dir = join(server.dataDir, 'secrets');
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, 'db-password'))).mode & 0o777, 0o600);
    const list = await server.api('GET', '/v1/secrets');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.secrets.map((s: { name: string }) => s.name),
      ['db-password'],
    );
    assert.ok(!JSON.stringify(list.body).includes(value));
  });

  it("reach the job's env, and appear in no API answer, no output line and no other file", async () => {
    const worker = await server.api('POST', '/v1/workers', {
      name: 'uses-secret',
      image: 'runlater-test/busybox',
      // Prints a hash of the value: the job proves it has it without writing it out.
      command: ['sh', '-c', 'printf %s "$DB_PASSWORD" | sha256sum'],
      secrets: { DB_PASSWORD: 'db-password' },
    });
    assert.equal(worker.status, 201, JSON.stringify(worker.body));
    assert.deepEqual(worker.body.secrets, { DB_PASSWORD: 'db-password' });

    const queued = await server.api('POST', '/v1/jobs', { worker: 'uses-secret' });
    const job = await server.waitForFinal(queued.body.id);
    assert.equal(job.status, 'succeeded', job.error ?? '');
    const lines = await readAllLogs(server, job.id);
    const sha = createHash('sha256').update(value).digest('hex');
    assert.match(lines[0].text, new RegExp(`^${sha}`));

    const answers = [
      worker.body,
      queued.body,
      job,
      lines,
      (await server.api('GET', '/v1/workers/uses-secret')).body,
      (await server.api('GET', '/v1/workers')).body,
      (await server.api('GET', `/v1/jobs/${job.id}`)).body,
    ];
    for (const answer of answers) assert.ok(!JSON.stringify(answer).includes(value), 'no API answer has it');
    for (const file of await filesUnder(server.dataDir, join(server.dataDir, 'secrets')))
      // A task's shim directory may be removed while this reads: gone is fine.
      assert.ok(
        !(await readFile(file).catch(() => Buffer.alloc(0))).includes(value),
        `${file} does not hold it`,
      );
  });

  it("refuses a job env that names one of the worker's secrets", async () => {
    const res = await server.api('POST', '/v1/jobs', { worker: 'uses-secret', env: { DB_PASSWORD: 'x' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.field, 'env.DB_PASSWORD');
  });

  it('fail a job whose secret is not set, once, saying which secret and never a value', async () => {
    const worker = await server.api('POST', '/v1/workers', {
      name: 'missing-secret',
      image: 'runlater-test/busybox',
      command: ['true'],
      secrets: { TOKEN: 'never-set' },
    });
    assert.equal(worker.status, 201, JSON.stringify(worker.body));
    const queued = await server.api('POST', '/v1/jobs', { worker: 'missing-secret' });
    const job = await server.waitForFinal(queued.body.id);
    assert.equal(job.status, 'failed');
    assert.equal(job.attempt, 1);
    assert.match(job.error ?? '', /secret "never-set" is not set/);
  });

  it('refuse bad names and references with 400, and a name both in env and secrets', async () => {
    assert.equal((await server.api('PUT', '/v1/secrets/-starts-with-a-dash', { value: 'x' })).status, 400);
    assert.equal((await server.api('PUT', '/v1/secrets/-starts-with-a-dash', { value: '' })).status, 400);
    const outsidePrefix = await server.api('POST', '/v1/workers', {
      name: 'bad-ref',
      image: 'runlater-test/busybox',
      secrets: { X: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf' },
    });
    assert.equal(outsidePrefix.status, 400);
    assert.equal(outsidePrefix.body.error.field, 'secrets.X');
    const clash = await server.api('POST', '/v1/workers', {
      name: 'clash',
      image: 'runlater-test/busybox',
      env: { X: '1' },
      secrets: { X: 'db-password' },
    });
    assert.equal(clash.status, 400);
    assert.match(clash.body.error.message, /both in env and in secrets/);
  });

  it('are deleted by name; deleting again is 404', async () => {
    await server.api('PUT', '/v1/secrets/temp', { value: 'x' });
    assert.equal((await server.api('DELETE', '/v1/secrets/temp')).status, 204);
    assert.equal((await server.api('DELETE', '/v1/secrets/temp')).status, 404);
  });
});
