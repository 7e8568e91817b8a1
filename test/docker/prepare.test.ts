import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { prepareShimDirectory } from '../../lambdas/shim/prepare.ts';

/** The shim directory every task mounts at /runlater: what goes in it, and the refusals. */
describe('prepareShimDirectory', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'runlater-prepare-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('writes busybox, the script and inline stdin, readable by any user the image runs as', async () => {
    const dir = join(root, 'inline');
    await prepareShimDirectory(dir, { stdinBase64: Buffer.from('héllo\n').toString('base64') });
    assert.equal(await readFile(join(dir, 'stdin'), 'utf8'), 'héllo\n');
    assert.ok((await readFile(join(dir, 'busybox'))).equals(await readFile('/bin/busybox')));
    assert.match(await readFile(join(dir, 'shim.sh'), 'utf8'), /exec "\$prog" "\$@" < \/runlater\/stdin/);
    const modes = await Promise.all(
      ['', 'busybox', 'shim.sh', 'stdin'].map(async (f) => (await stat(join(dir, f))).mode & 0o777),
    );
    assert.deepEqual(modes, [0o755, 0o755, 0o644, 0o444]);
    // No FIFOs unless asked: the local runner's shim never tags its output.
    await assert.rejects(stat(join(dir, 'stdout')), { code: 'ENOENT' });
  });

  it('makes the two output FIFOs, writable by any user, when asked (and keeps them when asked again)', async () => {
    const dir = join(root, 'fifos');
    for (let i = 0; i < 2; i++) await prepareShimDirectory(dir, { stdinBase64: '' }, { outputFifos: true });
    for (const name of ['stdout', 'stderr']) {
      const info = await stat(join(dir, name));
      assert.ok(info.isFIFO(), name);
      assert.equal(info.mode & 0o777, 0o666);
    }
  });

  it('copies stdin from a file: URL byte for byte, and prepares the same directory twice', async () => {
    const bytes = randomBytes(300_000);
    const blob = join(root, 'blob');
    await writeFile(blob, bytes);
    const dir = join(root, 'file');
    await prepareShimDirectory(dir, { stdinUrl: pathToFileURL(blob).href });
    await prepareShimDirectory(dir, { stdinUrl: pathToFileURL(blob).href });
    assert.ok((await readFile(join(dir, 'stdin'))).equals(bytes));
  });

  it('refuses a busybox that is missing or not static, saying what to install', async () => {
    await assert.rejects(
      prepareShimDirectory(join(root, 'missing'), { stdinBase64: '' }, { busyboxPath: join(root, 'nope') }),
      /needs a static busybox .*busybox-static/,
    );
    await assert.rejects(
      prepareShimDirectory(join(root, 'dynamic'), { stdinBase64: '' }, { busyboxPath: process.execPath }),
      /dynamically linked/,
    );
    await assert.rejects(
      prepareShimDirectory(join(root, 'url'), { stdinUrl: 'ftp://example.com/x' }),
      /cannot fetch stdin from a ftp: URL/,
    );
  });
});
