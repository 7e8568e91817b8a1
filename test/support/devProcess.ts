import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { removeContainersOf } from './containers.ts';
import { waitFor } from './waitFor.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const run = promisify(execFile);

/** The final statuses, as the API spells them. */
export const FINAL_STATUSES = ['succeeded', 'failed', 'timed_out', 'cancelled'];

/**
 * `runlater dev` as a user runs it (`bin/runlater.mjs dev`), in a child process the durability
 * tests kill -9 and start again on the same data directory, port and token.
 */
export class DevProcess {
  child: ChildProcess | undefined;
  readonly token = `durability-${process.pid}-${Date.now()}`;
  private stderr = '';

  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A fresh data directory and a free port; `env` adds to the server's environment. */
  static async create(name: string, env: Record<string, string> = {}): Promise<DevProcess> {
    const dataDir = await mkdtemp(join(tmpdir(), `runlater-${name}-`));
    return new DevProcess(dataDir, await freePort(), env);
  }

  /** Starts the server and waits until it answers its health check (calling `onPoll` as it waits). */
  async start(onPoll?: () => Promise<unknown>): Promise<void> {
    this.stderr = '';
    const child = spawn(process.execPath, ['bin/runlater.mjs', 'dev'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(this.port),
        RUNLATER_DATA_DIR: this.dataDir,
        RUNLATER_TOKEN: this.token,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        ...this.env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (d) => (this.stderr = (this.stderr + String(d)).slice(-4000)));
    this.child = child;
    await waitFor(
      'the dev server',
      async () => {
        if (child.exitCode !== null) throw new Error(`dev server exited ${child.exitCode}: ${this.stderr}`);
        await onPoll?.();
        return (await fetch(`${this.url}/v1/health`).catch(() => undefined))?.ok;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  }

  /** kill -9, and wait until the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Kills the server (if running) and removes its data directory. */
  async close(): Promise<void> {
    await this.kill();
    await removeContainersOf(this.dataDir);
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** The API's answer, whatever its status. */
  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(this.url + path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: await res.json() };
  }

  /** The API's answer's body; anything but a 2xx throws, naming the call. */
  async api(method: string, path: string, body?: unknown): Promise<any> {
    const { status, body: json } = await this.request(method, path, body);
    if (status >= 300) throw new Error(`${method} ${path}: ${status} ${JSON.stringify(json)}`);
    return json;
  }

  /** Waits until every one of the jobs is final; returns them. */
  allFinal(ids: string[], timeoutMs: number, onPoll?: () => Promise<unknown>): Promise<any[]> {
    return waitFor(
      `${ids.length} jobs to end`,
      async () => {
        await onPoll?.();
        const jobs = await Promise.all(ids.map((id) => this.api('GET', `/v1/jobs/${id}`)));
        return jobs.every((j) => FINAL_STATUSES.includes(j.status)) && jobs;
      },
      { timeoutMs, intervalMs: 200 },
    );
  }

  /** Docker's own record: the job id of every container of this data directory started since `since` (s). */
  async containerStarts(since: number): Promise<string[]> {
    const { stdout } = await run('docker', [
      'events',
      '--since',
      String(since),
      '--until',
      String(Math.floor(Date.now() / 1000) + 1),
      '--filter',
      'event=start',
      '--filter',
      `label=runlater.dataDir=${this.dataDir}`,
      '--format',
      '{{index .Actor.Attributes "runlater.job"}}',
    ]);
    return stdout.split('\n').filter(Boolean);
  }
}

/** A port nothing listens on now (the OS's pick for port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
