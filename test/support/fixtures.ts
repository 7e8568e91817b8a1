import type { Job, Worker } from '../../lambdas/core/schemas.ts';

/** A job as the API answers it, with `over` on top. */
export function jobFixture(over: Partial<Job> = {}): Job {
  const now = new Date().toISOString();
  return {
    id: 'j1',
    worker: 'w',
    status: 'queued',
    attempt: 0,
    maxAttempts: 1,
    exitCode: null,
    error: null,
    createdAt: now,
    updatedAt: now,
    runAt: now,
    startedAt: null,
    finishedAt: null,
    timeoutSeconds: 60,
    priority: 0,
    env: {},
    stdinBytes: 0,
    cancelRequested: false,
    waitingReason: null,
    attempts: [],
    ...over,
  };
}

/** A worker of the busybox test image, with the defaults the API fills in, and `over` on top. */
export function workerFixture(over: Partial<Worker> = {}): Worker {
  return {
    name: 'w',
    image: 'runlater-test/busybox',
    env: {},
    cpu: 256,
    memory: 512,
    timeoutSeconds: 60,
    retry: { maxAttempts: 1, backoff: 'none', jitter: true },
    createdAt: '2026-11-22T12:00:00.000Z',
    updatedAt: '2026-11-22T12:00:00.000Z',
    revision: 1,
    ...over,
  };
}
