import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openLoopPosts, type Api } from './postLoad.ts';
import { median, percentile, type Row } from './stats.ts';

const SERVER = fileURLToPath(new URL('./postStepsServer.ts', import.meta.url));

/**
 * Where the time of POST /v1/jobs goes: the dev server runs with a stopwatch on each step
 * (postStepsServer.ts) under the same open loop as the load figure; one row per step with the
 * median and p99 of its durations. Steps nest: a core step includes its SDK call, which includes
 * dynalite's work, and every step includes time spent waiting for the event loop.
 */
export async function postStepRows(port: number, count = 1000): Promise<Row[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'runlater-bench-'));
  const out = join(dataDir, 'steps.json');
  const token = `bench-${Date.now()}`;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', SERVER, join(dataDir, 'data'), out, String(port)],
    {
      env: { ...process.env, RUNLATER_TOKEN: token },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const ready = await Promise.race([
      new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('server did not start')), 60_000)),
    ]);
    const { url } = JSON.parse(ready) as { url: string };
    const api: Api = async (method, path, body) => {
      const res = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    await api('POST', '/v1/workers', { name: 'bench', image: 'runlater-test/busybox', command: ['cat'] });
    const cpu = async () => {
      const fields = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, clock ticks of 10 ms
    };
    const cpuBefore = await cpu();
    const load = await openLoopPosts(api, count);
    const cpuMs = (await cpu()) - cpuBefore;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    const steps = JSON.parse(await readFile(out, 'utf8')) as Record<string, number[]>;
    const f = (n: number) => `${n.toFixed(2)} ms`;
    return [
      {
        figure: `POST /v1/jobs, client side (${count} at 100/s)`,
        now: `p50 ${f(load.p50)}, p99 ${f(load.p99)}; server CPU ${f(cpuMs / count)} a request`,
        baseline: '',
        ratio: '',
      },
      ...Object.entries(steps)
        .filter(([step, xs]) => xs.length >= count / 2 || /gc|loop/.test(step))
        .map(([step, xs]) => ({
          figure: `  ${step} (${xs.length} calls)`,
          now: `median ${f(median(xs))}, p99 ${f(percentile(xs, 0.99))}, max ${f(Math.max(...xs))}, sum ${f(xs.reduce((a, b) => a + b, 0))}`,
          baseline: '',
          ratio: '',
        })),
    ];
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
}
