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
