import { createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

/** Where the job's stdin comes from: inline bytes, or a URL (https/http: presigned S3; file: local blob store). */
export type StdinSource = { stdinBase64: string } | { stdinUrl: string };

export const DEFAULT_BUSYBOX = '/bin/busybox';
const SHIM_SCRIPT = fileURLToPath(new URL('./shim.sh', import.meta.url));

/**
 * Fills a task's shim directory (mounted at /runlater in the job's container): a static busybox to
 * run the script, the script, and the stdin bytes. On AWS an init container runs this into a
 * shared volume; locally the Docker runner runs it into a directory it bind-mounts. Same files,
 * same paths.
 */
export async function prepareShimDirectory(
  dir: string,
  source: StdinSource,
  options: { busyboxPath?: string; shimScript?: string } = {},
): Promise<void> {
  const busybox = options.busyboxPath ?? process.env.RUNLATER_BUSYBOX ?? DEFAULT_BUSYBOX;
  await assertStaticBinary(busybox);
  await mkdir(dir, { recursive: true });
  await copyFile(busybox, join(dir, 'busybox'));
  await chmod(join(dir, 'busybox'), 0o755);
  await copyFile(options.shimScript ?? SHIM_SCRIPT, join(dir, 'shim.sh'));
  await chmod(join(dir, 'shim.sh'), 0o644);
  await writeStdin(join(dir, 'stdin'), source);
}

async function writeStdin(path: string, source: StdinSource): Promise<void> {
  const partial = `${path}.${process.pid}.${Date.now()}.partial`;
  if ('stdinBase64' in source) {
    await writeFile(partial, Buffer.from(source.stdinBase64, 'base64'));
  } else {
    const url = new URL(source.stdinUrl);
    if (url.protocol === 'file:') {
      await copyFile(fileURLToPath(url), partial);
    } else if (url.protocol === 'https:' || url.protocol === 'http:') {
      const res = await fetch(url);
      if (!res.ok || !res.body) throw new Error(`runlater shim: could not fetch stdin: HTTP ${res.status}`);
      await pipeline(Readable.fromWeb(res.body as never), createWriteStream(partial));
    } else {
      throw new Error(`runlater shim: cannot fetch stdin from a ${url.protocol} URL`);
    }
  }
  await chmod(partial, 0o444);
  await rename(partial, path);
}

/**
 * The shim must run in images with no libc at all (FROM scratch): a dynamically linked busybox
 * would fail there with a baffling "no such file". An ELF with a PT_INTERP header is dynamic.
 */
export async function assertStaticBinary(path: string): Promise<void> {
  let header: Buffer;
  try {
    const file = await open(path, 'r');
    try {
      header = Buffer.alloc(4096);
      await file.read(header, 0, header.length, 0);
    } finally {
      await file.close();
    }
  } catch {
    throw new Error(
      `runlater needs a static busybox at ${path} for its stdin shim (Debian/Ubuntu: apt-get install busybox-static; or set RUNLATER_BUSYBOX)`,
    );
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path} is not an ELF binary`);
  const is64 = header[4] === 2;
  const phoff = Number(is64 ? header.readBigUInt64LE(0x20) : header.readUInt32LE(0x1c));
  const phentsize = header.readUInt16LE(is64 ? 0x36 : 0x2a);
  const phnum = header.readUInt16LE(is64 ? 0x38 : 0x2c);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > header.length) break;
    if (header.readUInt32LE(at) === 3 /* PT_INTERP */)
      throw new Error(
        `${path} is dynamically linked; runlater's shim needs a static busybox (busybox-static)`,
      );
  }
}

/** Entry of the AWS init container: fills RUNLATER_SHIM_DIR (default /runlater) from its env. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const dir = env.RUNLATER_SHIM_DIR ?? '/runlater';
  const source: StdinSource = env.RUNLATER_STDIN_URL
    ? { stdinUrl: env.RUNLATER_STDIN_URL }
    : { stdinBase64: env.RUNLATER_STDIN_B64 ?? '' };
  const script = env.RUNLATER_SHIM_SCRIPT ?? join(dirname(process.argv[1] ?? '.'), 'shim.sh');
  await prepareShimDirectory(dir, source, {
    shimScript: await readFile(script).then(
      () => script,
      () => SHIM_SCRIPT,
    ),
  });
}
