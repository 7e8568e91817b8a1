import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureTestImages } from '../support/images.ts';
import { startTestServer, type TestServer } from '../support/testServer.ts';

/** Every path under `dir`, with its mode. */
async function walk(dir: string): Promise<{ path: string; mode: number; isDir: boolean }[]> {
  const found: { path: string; mode: number; isDir: boolean }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const s = await stat(path);
    found.push({ path, mode: s.mode & 0o777, isDir: s.isDirectory() });
    if (s.isDirectory()) found.push(...(await walk(path)));
  }
  return found;
}

/** Issue 9, defect 7: the data directory holds env values and output, for its user alone. */
describe('the data directory of the dev server', () => {
  let parent = '';
  let server: TestServer;

  before(async () => {
    await ensureTestImages();
    parent = await mkdtemp(join(tmpdir(), 'runlater-perms-'));
    server = await startTestServer({ dataDir: join(parent, 'data') });
  });
  after(async () => {
    await server.stop();
    await rm(parent, { recursive: true, force: true });
  });

  it('is 0700, and its db, logs, token and stdin files are 0600', async () => {
    const worker = {
      name: 'env',
      image: 'runlater-test/busybox',
      command: ['sh', '-c', 'echo "$SECRET"; wc -c'],
      env: { SECRET: 's3cret' },
    };
    assert.equal((await server.api('POST', '/v1/workers', worker)).status, 201);
    // Over the inline limit, so it is kept as a file in stdin/.
    const stdinBase64 = Buffer.alloc(200_000, 65).toString('base64');
    const res = await server.api('POST', '/v1/jobs', { worker: 'env', stdinBase64 });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal((await server.waitForFinal(res.body.id)).status, 'succeeded');

    assert.equal((await stat(server.dataDir)).mode & 0o777, 0o700);
    const entries = await walk(server.dataDir);
    for (const dir of ['db', 'logs', 'stdin'])
      assert.ok(entries.some((e) => e.path === join(server.dataDir, dir)));
    assert.ok(entries.some((e) => e.path === join(server.dataDir, 'token')));
    // A running task's shim directory (tasks/<id>/) and the network sandboxes' busybox (sandbox/)
    // are readable by all on purpose: the job's program, or the sandbox's, may run as any user.
    // The directories above them keep everyone else out.
    const shim = join(server.dataDir, 'tasks') + '/';
    const sandbox = join(server.dataDir, 'sandbox');
    const forAll = (path: string) =>
      path.startsWith(shim) || path === sandbox || path.startsWith(sandbox + '/');
    const open = entries.filter((e) => !forAll(e.path) && e.mode !== (e.isDir ? 0o700 : 0o600));
    assert.deepEqual(
      open.map((e) => `${e.path.slice(server.dataDir.length)} ${e.mode.toString(8)}`),
      [],
    );
  });
});
