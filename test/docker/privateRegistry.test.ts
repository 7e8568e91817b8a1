import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { ensureTestImages } from '../support/images.ts';
import { readAllLogs, startTestServer, type TestServer } from '../support/testServer.ts';
import { waitFor } from '../support/waitFor.ts';

const run = promisify(execFile);

/**
 * Private images on one machine, against a real registry that wants a password (Debian's
 * docker-registry with htpasswd auth) on loopback, where Docker allows plain HTTP.
 */
describe('jobs on images of an authenticated registry (runlater dev)', () => {
  let registry: ChildProcess;
  let dir = '';
  let host = '';
  let server: TestServer;
  const user = 'runlater';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const savedDockerConfig = process.env.DOCKER_CONFIG;
  const tags: string[] = [];

  before(async () => {
    await ensureTestImages();
    dir = await mkdtemp(join(tmpdir(), 'runlater-private-registry-'));
    const port = 17000 + Math.floor(Math.random() * 2000);
    host = `127.0.0.1:${port}`;
    await writeFile(join(dir, 'htpasswd'), `${user}:${await bcrypt.hash(password, 10)}\n`);
    await writeFile(
      join(dir, 'config.yml'),
      [
        'version: 0.1',
        `storage:\n  filesystem:\n    rootdirectory: ${dir}/data`,
        `http:\n  addr: ${host}`,
        `auth:\n  htpasswd:\n    realm: runlater-test\n    path: ${dir}/htpasswd`,
        '',
      ].join('\n'),
    );
    registry = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    await waitFor(
      'the registry',
      async () => (await fetch(`http://${host}/v2/`).catch(() => undefined))?.status === 401,
      {
        timeoutMs: 20_000,
      },
    );
    // The pushing client logs in with its own config dir: the user's own ~/.docker is never touched.
    const pusher = join(dir, 'pusher');
    await mkdir(pusher);
    const login = spawn('docker', ['--config', pusher, 'login', '-u', user, '--password-stdin', host]);
    login.stdin.end(password);
    assert.equal(await new Promise((r) => login.on('close', r)), 0, 'docker login to the test registry');
    for (const name of ['from-config', 'from-secret']) {
      const tag = `${host}/test/${name}:1`;
      tags.push(tag);
      await run('docker', ['tag', 'runlater-test/busybox', tag]);
      await run('docker', ['--config', pusher, 'push', '-q', tag]);
      // Gone from the engine again: the job's run must pull it, with credentials.
      await run('docker', ['rmi', tag]);
    }
    server = await startTestServer();
  });
  after(async () => {
    process.env.DOCKER_CONFIG = savedDockerConfig;
    if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
    await server?.stop();
    registry?.kill();
    for (const tag of tags) await run('docker', ['rmi', tag]).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the registry refuses pulls without the password', async () => {
    const res = await fetch(`http://${host}/v2/test/from-config/manifests/1`);
    assert.equal(res.status, 401);
    await assert.rejects(
      run('docker', ['--config', join(dir, 'nobody'), 'pull', tags[0]!]),
      /no basic auth|unauthorized|authentication required/i,
    );
  });

  it('fails a job at once (no retry) when no credentials are given, saying so', async () => {
    process.env.DOCKER_CONFIG = join(dir, 'empty-config');
    const worker = await server.api('POST', '/v1/workers', {
      name: 'private-none',
      image: tags[0],
      command: ['true'],
      retry: { maxAttempts: 3 },
    });
    assert.equal(worker.status, 201, JSON.stringify(worker.body));
    const job = await server.waitForFinal(
      (await server.api('POST', '/v1/jobs', { worker: 'private-none' })).body.id,
    );
    assert.equal(job.status, 'failed');
    assert.equal(job.attempt, 1);
    assert.match(
      job.error ?? '',
      /CannotPullContainerError.*(no basic auth|unauthorized|authentication required)/i,
    );
  });

  it("pulls with the credentials of the user's Docker config (auths, as docker login writes them)", async () => {
    const config = join(dir, 'user-config');
    await mkdir(config);
    await writeFile(
      join(config, 'config.json'),
      JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }),
    );
    process.env.DOCKER_CONFIG = config;
    const worker = await server.api('POST', '/v1/workers', {
      name: 'private-config',
      image: tags[0],
      command: ['sh', '-c', 'echo private ok'],
    });
    assert.equal(worker.status, 201, JSON.stringify(worker.body));
    const job = await server.waitForFinal(
      (await server.api('POST', '/v1/jobs', { worker: 'private-config' })).body.id,
    );
    assert.equal(job.status, 'succeeded', job.error ?? '');
    assert.equal((await readAllLogs(server, job.id))[0].text, 'private ok');
  });

  it('pulls with a registryCredentials secret given to runlater, and never shows the password', async () => {
    process.env.DOCKER_CONFIG = join(dir, 'empty-config'); // no Docker config to fall back on
    const set = await server.api('PUT', '/v1/secrets/registry-login', {
      value: JSON.stringify({ username: user, password }),
    });
    assert.equal(set.status, 204, JSON.stringify(set.body));
    const worker = await server.api('POST', '/v1/workers', {
      name: 'private-secret',
      image: tags[1],
      command: ['sh', '-c', 'echo from secret'],
      registryCredentials: 'registry-login',
    });
    assert.equal(worker.status, 201, JSON.stringify(worker.body));
    const job = await server.waitForFinal(
      (await server.api('POST', '/v1/jobs', { worker: 'private-secret' })).body.id,
    );
    assert.equal(job.status, 'succeeded', job.error ?? '');
    assert.equal((await readAllLogs(server, job.id))[0].text, 'from secret');
    assert.ok(!JSON.stringify([worker.body, job]).includes(password));
  });
});
