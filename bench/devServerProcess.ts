import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../bin/runlater.mjs', import.meta.url));

/** `runlater dev` in its own process on 127.0.0.1 with its own data dir, as a user runs it. */
export interface DevProcess {
  url: string;
  token: string;
  pid: number;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** CPU seconds (user + system) the process has used so far, from /proc. */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

export async function startDevProcess(port: number): Promise<DevProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'runlater-bench-'));
  const token = `bench-${Date.now()}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, 'dev', '--port', String(port), '--data-dir', dataDir],
    {
      env: { ...process.env, RUNLATER_TOKEN: token },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const api: DevProcess['api'] = async (method, path, body) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await api('GET', '/v1/workers').then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('runlater dev did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    token,
    pid: child.pid!,
    api,
    cpuSeconds: async () => {
      const fields = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
    },
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const FINAL = ['succeeded', 'failed', 'timed_out', 'cancelled'];

/** Polls (every 20 ms, bounded) until the job is final. */
export async function waitFinal(dev: DevProcess, id: string, timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await dev.api('GET', `/v1/jobs/${id}`);
    if (FINAL.includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${body.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
