import { randomUUID } from 'node:crypto';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { extract } from 'tar-stream';
import { replaceFile } from '../../shim/prepare.ts';
import { LABEL, SANDBOX_FILES } from './containerConfig.ts';
import { statusOf } from './docker.ts';

/** What Docker gives each container of its network sandbox: a job gets its own copies. */
export type SandboxFiles = Record<(typeof SANDBOX_FILES)[number], Buffer>;

export interface Sandbox {
  id: string;
  files: SandboxFiles;
}

export interface NetworkSandboxesOptions {
  owner: string;
  /** A directory of this runner's: the sandboxes' busybox is copied there once. */
  dir: string;
  busyboxPath: string;
  /** The jobs' network (jobNetwork.ts). */
  network: () => Promise<string>;
}

/** How long a sandbox may sit unused before it goes. */
const IDLE_MS = 5 * 60_000;
/** Sandboxes made at once per image when jobs find none free. */
const MADE_AT_ONCE = 2;
/** Sandboxes kept at most, all images together. */
const MOST = 64;

interface Idle {
  sandbox: Sandbox;
  image: string;
  since: number;
}

interface Busy {
  sandbox: Sandbox;
  image: string;
  /** The task that has it: only that task gives it back (a retried finish must not free it twice). */
  taskId: string;
}

/**
 * Network sandboxes made ahead of the jobs that use them. On a network of its own (jobNetwork.ts)
 * Docker spends 40–110 ms of every container start setting up the network namespace (its embedded
 * DNS above all), a cost `docker run` on the default bridge does not pay. A sandbox is a container
 * that only sleeps, on the jobs' network; a job's container joins its namespace
 * (`NetworkMode: container:<id>`) and starts as fast as one with no network at all.
 *
 * Isolation is kept: a sandbox serves one job at a time, so no two jobs running at once share a
 * namespace, and after a job's container stops nothing of it is left there (its processes are
 * gone, and without CAP_NET_ADMIN it could not change the namespace's routes or filters). The files
 * Docker would share from the sandbox (/etc/hosts, resolv.conf, hostname) are copied to each job,
 * so what one job writes there no later job reads. A sandbox serves only jobs of the image it was
 * made from: jobs of one image are what it is shared between.
 *
 * Jobs that find no sandbox free start on the jobs' network directly, as before, while more are
 * made for the next ones. Sandboxes go after 5 minutes unused, on close(), and at the next start
 * after a crash (adopt()).
 */
export class NetworkSandboxes {
  private readonly idle: Idle[] = [];
  /** Sandboxes a job has now, by id. */
  private readonly busy = new Map<string, Busy>();
  /** Made before a restart and in use then: removed once that job is done. */
  private readonly retired = new Set<string>();
  /** Sandboxes being made, with their images: close() waits for them (each is removed as it comes). */
  private readonly making = new Map<Promise<void>, string>();
  private busybox?: Promise<void>;
  private sweeper?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly docker: Docker,
    private readonly options: NetworkSandboxesOptions,
  ) {}

  /** A free sandbox for `taskId`, a job of `image`, now; none if none is free (then more are made). */
  take(image: string, taskId: string): Sandbox | undefined {
    const at = this.idle.findLastIndex((s) => s.image === image);
    if (at >= 0) {
      const { sandbox } = this.idle.splice(at, 1)[0]!;
      this.busy.set(sandbox.id, { sandbox, image, taskId });
      return sandbox;
    }
    this.warm(image);
    return undefined;
  }

  /** `taskId`'s container, in sandbox `id`, has stopped (or never started): the sandbox may serve the next. */
  give(id: string, taskId: string): void {
    if (this.retired.delete(id)) return void this.remove(id);
    const given = this.busy.get(id);
    if (given?.taskId !== taskId) return;
    this.busy.delete(id);
    if (this.closed) return void this.remove(id);
    this.idle.push({ sandbox: given.sandbox, image: given.image, since: Date.now() });
    this.sweepLater();
  }

  /** A sandbox that failed its job (gone, or not running): it serves no other, and another is made. */
  discard(id: string): void {
    const image = this.busy.get(id)?.image;
    this.busy.delete(id);
    this.retired.delete(id);
    this.remove(id);
    if (image !== undefined) this.warm(image);
  }

  /**
   * At start-up: sandboxes of an earlier run of this runner that a job still uses (`inUse`) go
   * once that job is done; the others go now.
   */
  async adopt(inUse: ReadonlySet<string>): Promise<void> {
    const found = await this.docker.listContainers({
      all: true,
      filters: { label: [LABEL.sandbox, `${LABEL.owner}=${this.options.owner}`] },
    });
    const known = new Set([...this.idle.map((s) => s.sandbox.id), ...this.busy.keys()]);
    for (const c of found) {
      if (known.has(c.Id)) continue; // made by this process meanwhile
      if (inUse.has(c.Id)) this.retired.add(c.Id);
      else this.remove(c.Id);
    }
  }

  /** Removes the free sandboxes; those in use go when their jobs are done (or at the next start). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.sweeper);
    const idle = this.idle.splice(0);
    await Promise.allSettled([...idle.map((s) => this.removeNow(s.sandbox.id)), ...this.making.keys()]);
  }

  private warm(image: string): void {
    const ofImage = [...this.making.values()].filter((i) => i === image).length;
    const total = this.idle.length + this.busy.size + this.retired.size + this.making.size;
    if (this.closed || ofImage >= MADE_AT_ONCE || total >= MOST) return;
    const making: Promise<void> = this.make(image)
      .then(
        (sandbox) => {
          if (this.closed) return this.removeNow(sandbox.id);
          this.idle.push({ sandbox, image, since: Date.now() });
          this.sweepLater();
        },
        (err: unknown) => console.error(`runner: a network sandbox for ${image}:`, (err as Error).message),
      )
      .finally(() => this.making.delete(making));
    this.making.set(making, image);
  }

  /**
   * A container of the job's own image (it is here already; nothing else may be), running the
   * static busybox runlater brings, asleep: it needs no more than a few kB of memory and no CPU.
   */
  private async make(image: string): Promise<Sandbox> {
    await this.copyBusybox();
    const container = await this.docker.createContainer({
      name: `runlater-sandbox-${randomUUID()}`,
      Image: image,
      Entrypoint: ['/runlater/busybox', 'sleep', '2147483647'],
      Cmd: [],
      Labels: { [LABEL.sandbox]: image, [LABEL.owner]: this.options.owner },
      Healthcheck: { Test: ['NONE'] },
      HostConfig: {
        Binds: [`${this.sandboxDir}:/runlater:ro`],
        NetworkMode: await this.options.network(),
        LogConfig: { Type: 'none', Config: {} },
        Memory: 32 * 1024 * 1024,
        MemorySwap: 32 * 1024 * 1024,
        PidsLimit: 4,
        ReadonlyRootfs: true,
        SecurityOpt: ['no-new-privileges'],
      },
    });
    try {
      await container.start();
      return { id: container.id, files: await this.readFiles(container) };
    } catch (err) {
      await this.removeNow(container.id);
      throw err;
    }
  }

  private async readFiles(container: Docker.Container): Promise<SandboxFiles> {
    const files: Partial<SandboxFiles> = {};
    for (const name of SANDBOX_FILES) {
      const archive = await container.getArchive({ path: `/etc/${name}` });
      files[name] = await firstFileOf(archive);
    }
    return files as SandboxFiles;
  }

  private get sandboxDir(): string {
    return join(this.options.dir, 'sandbox');
  }

  private copyBusybox(): Promise<void> {
    this.busybox ??= (async () => {
      await mkdir(this.sandboxDir, { recursive: true, mode: 0o755 });
      await chmod(this.sandboxDir, 0o755);
      await replaceFile(join(this.sandboxDir, 'busybox'), 0o755, (tmp) =>
        copyFile(this.options.busyboxPath, tmp),
      );
    })().catch((err: unknown) => {
      this.busybox = undefined;
      throw err;
    });
    return this.busybox;
  }

  /** Sandboxes unused for IDLE_MS go; the timer runs only while some are free. */
  private sweepLater(): void {
    if (this.sweeper || this.closed) return;
    this.sweeper = setTimeout(
      () => {
        this.sweeper = undefined;
        const now = Date.now();
        for (let i = this.idle.length - 1; i >= 0; i--) {
          const s = this.idle[i]!;
          if (now - s.since < IDLE_MS) continue;
          this.idle.splice(i, 1);
          this.remove(s.sandbox.id);
        }
        if (this.idle.length > 0) this.sweepLater();
      },
      Math.min(IDLE_MS, 60_000),
    );
    this.sweeper.unref();
  }

  private remove(id: string): void {
    this.removeNow(id).catch((err: unknown) =>
      console.error(`runner: removing network sandbox ${id.slice(0, 12)}:`, (err as Error).message),
    );
  }

  private async removeNow(id: string): Promise<void> {
    await this.docker
      .getContainer(id)
      .remove({ force: true, v: true })
      .catch((err: unknown) => {
        // 404: gone already; 409: its removal is under way (another runner's close, or adopt).
        if (statusOf(err) !== 404 && statusOf(err) !== 409) throw err;
      });
  }
}

/** The bytes of the one file in a tar stream (what Docker's archive endpoint answers). */
async function firstFileOf(archive: NodeJS.ReadableStream): Promise<Buffer> {
  const entries = extract();
  archive.pipe(entries);
  for await (const entry of entries) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    entries.destroy();
    return Buffer.concat(chunks);
  }
  throw new Error('Docker sent an empty archive');
}

/** Writes a sandbox's files for one job, beside its shim: they are mounted at /etc in its container. */
export async function writeJobNetworkFiles(dir: string, files: SandboxFiles): Promise<void> {
  const etc = join(dir, 'etc');
  await mkdir(etc, { recursive: true, mode: 0o755 });
  for (const name of SANDBOX_FILES)
    await replaceFile(join(etc, name), 0o644, (tmp) => writeFile(tmp, files[name]));
}
