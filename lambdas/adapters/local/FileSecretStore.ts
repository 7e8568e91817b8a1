import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecretInfo, SecretStore } from '../../core/ports.ts';
import { SECRET_NAME } from '../../core/schemas.ts';

/**
 * Secrets on one machine: a file per secret in `<dataDir>/secrets`, readable by the owner only
 * (directory 0700, files 0600). The Docker runner reads them when it creates a job's container;
 * nothing else reads them back.
 */
export class FileSecretStore implements SecretStore {
  constructor(private readonly dir: string) {}

  async set(name: string, value: string): Promise<void> {
    await this.ensureDir();
    const path = this.path(name);
    // Whole or not at all, and never readable by others, not even for an instant.
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, value, { mode: 0o600 });
    await rename(partial, path);
  }

  async list(): Promise<SecretInfo[]> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => SECRET_NAME.test(n));
    const out: SecretInfo[] = [];
    for (const name of names.sort()) {
      const info = await stat(this.path(name)).catch(() => undefined);
      if (info?.isFile()) out.push({ name, updatedAt: info.mtime.toISOString() });
    }
    return out;
  }

  async delete(name: string): Promise<boolean> {
    const existed = await stat(this.path(name)).then(
      () => true,
      () => false,
    );
    await rm(this.path(name), { force: true });
    return existed;
  }

  /** The value, for the job's container only; undefined when no such secret is set. */
  async value(name: string): Promise<string | undefined> {
    if (!SECRET_NAME.test(name)) return undefined;
    return readFile(this.path(name), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
  }

  private path(name: string): string {
    // Names are checked by the API's schema; this guards the file system on its own.
    if (!SECRET_NAME.test(name)) throw new Error('invalid secret name');
    return join(this.dir, name);
  }

  private async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
  }
}
