import { copyFile, mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GoneError } from '../../core/errors.ts';
import type { StdinStore } from '../../core/ports.ts';

/** Large stdin on one machine: a file per job, standing in for the S3 bucket. */
export class FileStdinStore implements StdinStore {
  constructor(private readonly dir: string) {}

  async put(jobId: string, bytes: Uint8Array): Promise<string> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, jobId);
    // Whole or not at all: the shim copies this file as it finds it.
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, bytes, { mode: 0o600 }); // the job's data: for this user alone
    await rename(partial, path);
    return jobId;
  }

  async copy(fromKey: string, toJobId: string): Promise<string> {
    const partial = join(this.dir, `${toJobId}.${process.pid}.partial`);
    try {
      await copyFile(join(this.dir, fromKey), partial);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new GoneError(`the stdin of the job to re-run is gone (removed by retention)`);
      throw err;
    }
    await rename(partial, join(this.dir, toJobId));
    return toJobId;
  }

  async url(key: string): Promise<string> {
    return pathToFileURL(join(this.dir, key)).href;
  }

  async read(key: string): Promise<Uint8Array> {
    return readFile(join(this.dir, key));
  }

  async delete(key: string): Promise<void> {
    await rm(join(this.dir, key), { force: true });
  }
}
