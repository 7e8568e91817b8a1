/**
 * A user's program on the types openapi-typescript generates from the served document.
 * test/api/openapi.test.ts generates them as `api.gen.ts` beside a copy of this file in a temp
 * directory and type-checks both there (so this directory is outside the project's tsconfig);
 * then it runs this program against a test server. It creates a worker, queues a job and reads
 * the job's output.
 */
import type { components, paths } from './api.gen.ts';

type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type CreateWorkerBody = paths['/v1/workers']['post']['requestBody']['content']['application/json'];
type Worker = JsonOf<paths['/v1/workers']['post']['responses'][201]>;
type CreateJobBody = paths['/v1/jobs']['post']['requestBody']['content']['application/json'];
type QueuedJob = JsonOf<paths['/v1/jobs']['post']['responses'][202]>;
type Job = JsonOf<paths['/v1/jobs/{id}']['get']['responses'][200]>;
type LogsQuery = NonNullable<paths['/v1/jobs/{id}/logs']['get']['parameters']['query']>;
type LogsPage = JsonOf<paths['/v1/jobs/{id}/logs']['get']['responses'][200]>;
type ApiError = components['schemas']['Error'];

const FINAL: Job['status'][] = ['succeeded', 'failed', 'timed_out', 'cancelled'];

export async function createQueueAndRead(
  baseUrl: string,
  token: string,
  workerName: string,
): Promise<{ worker: Worker; job: Job; lines: string[] }> {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(baseUrl + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${((await res.json()) as ApiError).error.message}`);
    return (await res.json()) as T;
  }

  const workerBody: CreateWorkerBody = {
    name: workerName,
    image: 'runlater-test/busybox',
    command: ['sh', '-c', 'echo "hello from $RUNLATER_JOB_ID"'],
  };
  const worker = await call<Worker>('POST', '/v1/workers', workerBody);
  const jobBody: CreateJobBody = { worker: worker.name, env: { GREETING: 'hi' } };
  const queued = await call<QueuedJob>('POST', '/v1/jobs', jobBody);

  let job: Job = queued;
  for (const deadline = Date.now() + 60_000; !FINAL.includes(job.status);) {
    if (Date.now() > deadline) throw new Error(`job ${job.id} is still ${job.status}`);
    await new Promise((r) => setTimeout(r, 100));
    job = await call<Job>('GET', `/v1/jobs/${queued.id}`);
  }
  const query: LogsQuery = { stream: 'stdout', limit: 100 };
  const page = await call<LogsPage>(
    'GET',
    `/v1/jobs/${job.id}/logs?stream=${query.stream}&limit=${query.limit}`,
  );
  return { worker, job, lines: page.lines.map((l) => l.text ?? '') };
}
