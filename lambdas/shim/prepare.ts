import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { chmod, copyFile, lstat, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { missingBusyboxMessage, staticBinaryProblem } from './staticBinary.ts';

/** Where the job's stdin comes from: inline bytes, or a URL (https/http: presigned S3; file: local blob store). */
export type StdinSource = { stdinBase64: string } | { stdinUrl: string };

export const DEFAULT_BUSYBOX = '/bin/busybox';
const SHIM_SCRIPT = fileURLToPath(new URL('./shim.sh', import.meta.url));
const run = promisify(execFile);

/**
 * Fills a task's shim directory (mounted at /runlater in the job's container): a static busybox to
 * run the script, the script and the stdin bytes, at the paths init.sh fills on AWS (its image has
 * no Node). With `outputFifos`, also the two FIFOs the shim writes tagged output through
 * (RUNLATER_LOG_TAGS, on ECS only). The local Docker runner leaves them out: Docker keeps a
 * container's two streams apart itself, so the shim never tags there, and each FIFO costs a
 * process spawn (about 10 ms of the server's CPU per job).
 */
export async function prepareShimDirectory(
  dir: string,
  source: StdinSource,
  options: { busyboxPath?: string; shimScript?: string; outputFifos?: boolean } = {},
): Promise<void> {
  const busybox = busyboxPath(options.busyboxPath);
  await assertStaticBinary(busybox);
  await mkdir(dir, { recursive: true });
  // The job may run as any user (the image's USER): everything here must be readable by all.
  await chmod(dir, 0o755);
  await replaceFile(join(dir, 'busybox'), 0o755, (tmp) => copyFile(busybox, tmp));
  await replaceFile(join(dir, 'shim.sh'), 0o644, (tmp) => copyFile(options.shimScript ?? SHIM_SCRIPT, tmp));
  await replaceFile(join(dir, 'stdin'), 0o444, (tmp) => writeStdin(tmp, source));
  // Made here because the job's container sees /runlater read-only; a FIFO stays writable all the same.
  if (options.outputFifos) await makeFifos(busybox, [join(dir, 'stdout'), join(dir, 'stderr')]);
}

/** The static busybox to copy: the one given, else RUNLATER_BUSYBOX, else Debian's. */
export function busyboxPath(given?: string): string {
  return given ?? process.env.RUNLATER_BUSYBOX ?? DEFAULT_BUSYBOX;
}

/** Node has no mkfifo: the static busybox we copy anyway has one. FIFOs already there are kept. */
async function makeFifos(busybox: string, paths: string[]): Promise<void> {
  const missing: string[] = [];
  for (const path of paths) {
    const existing = await lstat(path).catch(() => undefined);
    if (existing?.isFIFO()) continue;
    if (existing) await rm(path, { force: true, recursive: true });
    missing.push(path);
  }
  if (missing.length === 0) return;
  await run(busybox, ['mkfifo', ...missing]); // one process for all
  // Any USER the image runs as must be able to write them.
  for (const path of missing) await chmod(path, 0o666);
}

/**
 * Writes a file whole under a temporary name, then renames it into place: a reader never sees half
 * a file, and a container already running the old busybox keeps it (rewriting it would fail with
 * ETXTBSY) should the same task be prepared twice.
 */
export async function replaceFile(
  path: string,
  mode: number,
  write: (tmp: string) => Promise<void>,
): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomUUID()}.partial`;
  try {
    await write(tmp);
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function writeStdin(partial: string, source: StdinSource): Promise<void> {
  if ('stdinBase64' in source) {
    await writeFile(partial, Buffer.from(source.stdinBase64, 'base64'));
  } else {
    const url = new URL(source.stdinUrl);
    if (url.protocol === 'file:') {
      await copyFile(fileURLToPath(url), partial);
    } else if (url.protocol === 'https:' || url.protocol === 'http:') {
      await download(url, partial);
    } else {
      throw new Error(`runlater shim: cannot fetch stdin from a ${url.protocol} URL`);
    }
  }
}

const DOWNLOAD_TRIES = 3;
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

/** Streams the body to disk; network errors and 5xx are tried again, anything else fails at once. */
async function download(url: URL, path: string): Promise<void> {
  // Never the query: a presigned URL's signature does not belong in logs.
  const where = `${url.origin}${url.pathname}`;
  for (let attempt = 1; ; attempt++) {
    let retryable = true;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
      if (!res.ok || !res.body) {
        retryable = res.status >= 500;
        throw new Error(`HTTP ${res.status} ${res.statusText}`);
      }
      await pipeline(Readable.fromWeb(res.body as never), createWriteStream(path));
      return;
    } catch (err) {
      if (!retryable || attempt >= DOWNLOAD_TRIES) {
        // fetch() says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND...) is in its cause.
        const code = (err as { cause?: { code?: string } }).cause?.code;
        const why = `${(err as Error).message}${code ? ` (${code})` : ''}`;
        throw new Error(`runlater shim: could not fetch stdin: ${why} from ${where}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, attempt * 1000));
    }
  }
}

/** See staticBinary.ts: a dynamically linked busybox would fail in an image with no libc. */
export async function assertStaticBinary(path: string): Promise<void> {
  let header: Buffer;
  let read = 0;
  try {
    const file = await open(path, 'r');
    try {
      header = Buffer.alloc(4096);
      ({ bytesRead: read } = await file.read(header, 0, header.length, 0));
    } finally {
      await file.close();
    }
  } catch {
    throw new Error(missingBusyboxMessage(path));
  }
  const problem = staticBinaryProblem(path, header.subarray(0, read));
  if (problem) throw new Error(problem);
}
