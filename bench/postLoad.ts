import { spawn } from 'node:child_process';
import { percentile } from './stats.ts';

export type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

/** A job delayed by a day: it stays queued, so the load measures submission alone. */
export const DELAYED_JOB = { worker: 'bench', stdin: 'hello from the bench\n', delaySeconds: 86_400 };

/**
 * POST /v1/jobs open loop: one request every `intervalMs` whatever the answers take (a closed loop
 * would slow down with the server and hide its queueing), `count` requests in all.
 */
export async function openLoopPosts(
  api: Api,
  count = 1000,
  intervalMs = 10,
): Promise<{ latencies: number[]; p50: number; p99: number }> {
  const latencies: number[] = [];
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = start + i * intervalMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      (async () => {
        const t = performance.now();
        const r = await api('POST', '/v1/jobs', DELAYED_JOB);
        if (r.status >= 300) throw new Error(`POST /v1/jobs: ${r.status} ${JSON.stringify(r.body)}`);
        latencies.push(performance.now() - t);
      })(),
    );
  }
  await Promise.all(inflight);
  return { latencies, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

/**
 * The same open loop against the least a Node HTTP server can do (read the body, answer 202 with
 * a small JSON body), in its own process: what the machine alone costs at the tail.
 */
export async function bareServerLatency(port: number, count = 1000): Promise<{ p50: number; p99: number }> {
  const code = `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => {
    s.writeHead(202, { 'content-type': 'application/json' }); s.end('{"id":"01bare","status":"queued"}'); });
  }).listen(${port}, '127.0.0.1', () => console.log('ready'));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await Promise.race([
      new Promise((resolve) => child.stdout!.once('data', resolve)),
      new Promise((_, reject) => setTimeout(() => reject(new Error('bare server did not start')), 30_000)),
    ]);
    const api: Api = async (method, path, body) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { authorization: 'Bearer bare', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
    const { p50, p99 } = await openLoopPosts(api, count);
    return { p50, p99 };
  } finally {
    child.kill('SIGKILL');
  }
}
