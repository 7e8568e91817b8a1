import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { RegistryClient } from '../../lambdas/adapters/registry/RegistryClient.ts';
import { ensureTestImages } from '../support/images.ts';
import { waitFor } from '../support/waitFor.ts';

const run = promisify(execFile);

/**
 * The registry client against a real registry (Debian's docker-registry) on loopback, holding
 * images pushed by the real Docker engine: no pull, just what the image runs.
 */
describe('reading ENTRYPOINT and CMD from a registry', () => {
  let registry: ChildProcess;
  let dir = '';
  let host = '';

  before(async () => {
    await ensureTestImages();
    dir = await mkdtemp(join(tmpdir(), 'runlater-registry-'));
    const port = 15000 + Math.floor(Math.random() * 2000);
    host = `127.0.0.1:${port}`;
    await writeFile(
      join(dir, 'config.yml'),
      `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: ${host}\n`,
    );
    registry = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    await waitFor(
      'the registry',
      async () => (await fetch(`http://${host}/v2/`).catch(() => undefined))?.ok || undefined,
      {
        timeoutMs: 20_000,
      },
    );
    await run('docker', ['tag', 'runlater-test/noshell', `${host}/test/noshell:1`]);
    await run('docker', ['tag', 'runlater-test/busybox', `${host}/test/busybox:1`]);
    await run('docker', ['push', '-q', `${host}/test/noshell:1`]);
    await run('docker', ['push', '-q', `${host}/test/busybox:1`]);
  });
  after(async () => {
    registry?.kill();
    await run('docker', ['rmi', `${host}/test/noshell:1`, `${host}/test/busybox:1`]).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads an image with an ENTRYPOINT', async () => {
    const client = new RegistryClient({ insecureRegistries: [host] });
    assert.deepEqual(await client.imageCommand(`${host}/test/noshell:1`), { entrypoint: ['/cat'], cmd: [] });
  });

  it('reads an image with neither (empty), by tag and by digest', async () => {
    const client = new RegistryClient({ insecureRegistries: [host] });
    assert.deepEqual(await client.imageCommand(`${host}/test/busybox:1`), { entrypoint: [], cmd: [] });
    const res = await fetch(`http://${host}/v2/test/busybox/manifests/1`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    const digest = res.headers.get('docker-content-digest')!;
    assert.match(digest, /^sha256:/);
    assert.deepEqual(await client.imageCommand(`${host}/test/busybox@${digest}`), {
      entrypoint: [],
      cmd: [],
    });
  });

  it('says clearly when the image is not there', async () => {
    const client = new RegistryClient({ insecureRegistries: [host] });
    await assert.rejects(client.imageCommand(`${host}/test/nothing:1`), /answered 404/);
  });

  it('follows the token dance of registries that want one', async () => {
    // A registry that asks for a bearer token, served by a token endpoint: answered anonymously.
    const calls: string[] = [];
    const fake: typeof fetch = async (input, init) => {
      const url = String(input);
      const auth = new Headers(init?.headers).get('authorization') ?? '';
      calls.push(`${url} ${auth}`);
      if (url.startsWith('https://auth.example/token'))
        return new Response(JSON.stringify({ token: 'T' }), { status: 200 });
      if (auth !== 'Bearer T')
        return new Response('', {
          status: 401,
          headers: { 'www-authenticate': 'Bearer realm="https://auth.example/token",service="reg.example"' },
        });
      if (url.includes('/manifests/'))
        return new Response(JSON.stringify({ config: { digest: 'sha256:c' } }), { status: 200 });
      return new Response(JSON.stringify({ config: { Entrypoint: ['/app'], Cmd: ['--serve'] } }), {
        status: 200,
      });
    };
    const client = new RegistryClient({ fetch: fake });
    assert.deepEqual(await client.imageCommand('reg.example/team/app:2'), {
      entrypoint: ['/app'],
      cmd: ['--serve'],
    });
    assert.equal(
      calls[1],
      'https://auth.example/token?service=reg.example&scope=repository%3Ateam%2Fapp%3Apull ',
    );
  });
});
