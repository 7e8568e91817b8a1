import type { Job, LogLine, LogsPage, Schedule, Worker } from '../lambdas/core/schemas.ts';
import type {
  CreateJobRequest,
  CreateScheduleRequest,
  CreateWorkerRequest,
  UpdateWorkerRequest,
} from '../lambdas/core/schemas.ts';

export type { Job, LogLine, LogsPage, Schedule, Worker };

const FINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled']);

export function isFinalStatus(status: string): boolean {
  return FINAL.has(status);
}

/** An error answer of the API: its HTTP status and the stable `code`, `message` and `field`. */
export class RunlaterApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'RunlaterApiError';
  }
}

export interface RunlaterClientOptions {
  url: string;
  token: string;
  fetch?: typeof fetch;
}

/**
 * A typed client of the runlater API, the same whether it runs locally (`runlater dev`) or on AWS.
 *
 * @example
 * const client = new RunlaterClient({ url: 'http://127.0.0.1:8080', token });
 * await client.createWorker({ name: 'echo', image: 'busybox', command: ['cat'] });
 * const job = await client.submitJob({ worker: 'echo', stdin: 'hello' });
 * const done = await client.waitForJob(job.id);
 */
export class RunlaterClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: RunlaterClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? fetch;
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchFn(this.base + path, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new RunlaterApiError(0, 'unreachable', `cannot reach ${this.base}: ${(err as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const error = (json as { error?: { code?: string; message?: string; field?: string } } | undefined)
        ?.error;
      throw new RunlaterApiError(
        res.status,
        error?.code ?? `http_${res.status}`,
        error?.message ?? (text || res.statusText),
        error?.field,
      );
    }
    return json as T;
  }

  /** @example await client.health() // { ok: true } */
  health(): Promise<{ ok: true }> {
    return this.request('GET', '/v1/health');
  }

  /** @example await client.createWorker({ name: 'resize', image: 'ghcr.io/acme/resize:1', env: { SIZE: '128' } }) */
  createWorker(worker: CreateWorkerRequest | Record<string, unknown>): Promise<Worker> {
    return this.request('POST', '/v1/workers', worker);
  }

  async listWorkers(): Promise<Worker[]> {
    return (await this.request<{ workers: Worker[] }>('GET', '/v1/workers')).workers;
  }

  getWorker(name: string): Promise<Worker> {
    return this.request('GET', `/v1/workers/${encodeURIComponent(name)}`);
  }

  updateWorker(name: string, worker: UpdateWorkerRequest | Record<string, unknown>): Promise<Worker> {
    return this.request('PUT', `/v1/workers/${encodeURIComponent(name)}`, worker);
  }

  async deleteWorker(name: string): Promise<void> {
    await this.request('DELETE', `/v1/workers/${encodeURIComponent(name)}`);
  }

  /**
   * Queues a job. With an idempotency key, sending the same request again returns the same job.
   * @example await client.submitJob({ worker: 'resize', stdinBase64: png.toString('base64') }, { idempotencyKey: 'upload-42' })
   */
  submitJob(
    job: CreateJobRequest | Record<string, unknown>,
    options: { idempotencyKey?: string } = {},
  ): Promise<Job> {
    return this.request(
      'POST',
      '/v1/jobs',
      job,
      options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {},
    );
  }

  getJob(id: string): Promise<Job> {
    return this.request('GET', `/v1/jobs/${encodeURIComponent(id)}`);
  }

  listJobs(
    query: { worker?: string; status?: string; limit?: number; cursor?: string } = {},
  ): Promise<{ jobs: Job[]; nextCursor?: string }> {
    return this.request('GET', `/v1/jobs${queryString(query)}`);
  }

  cancelJob(id: string): Promise<Job> {
    return this.request('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`);
  }

  getLogs(
    id: string,
    query: { stream?: string; attempt?: number; cursor?: string; limit?: number } = {},
  ): Promise<LogsPage> {
    return this.request('GET', `/v1/jobs/${encodeURIComponent(id)}/logs${queryString(query)}`);
  }

  /**
   * Follows a job's output: yields lines as they come, and ends once the job is final and every
   * line of its last attempt has been read. A retried job's output is followed attempt by attempt.
   * @example for await (const line of client.followLogs(job.id)) console.log(line.stream, line.text)
   */
  async *followLogs(
    id: string,
    options: {
      stream?: string;
      attempt?: number;
      pollMs?: number;
      signal?: AbortSignal;
      onJob?: (job: Job) => void;
    } = {},
  ): AsyncGenerator<LogLine> {
    const pollMs = options.pollMs ?? 300;
    let attempt = options.attempt ?? 1;
    let cursor = '';
    for (;;) {
      if (options.signal?.aborted) return;
      const job = await this.getJob(id);
      options.onJob?.(job);
      const page = await this.getLogs(id, {
        attempt: Math.min(attempt, Math.max(job.attempt, 1)),
        ...(options.stream ? { stream: options.stream } : {}),
        ...(cursor ? { cursor } : {}),
      });
      for (const line of page.lines) yield line;
      cursor = page.nextCursor;
      if (page.lines.length > 0) continue;
      if (options.attempt === undefined && job.attempt > attempt && page.complete) {
        attempt += 1; // that attempt is over and read: go on to the next
        cursor = '';
        continue;
      }
      if (
        isFinalStatus(job.status) &&
        page.complete &&
        (options.attempt !== undefined || attempt >= job.attempt)
      )
        return;
      await sleep(pollMs, options.signal);
    }
  }

  /** Polls until the job is final. @example const job = await client.waitForJob(id, { timeoutMs: 60_000 }) */
  async waitForJob(
    id: string,
    options: { pollMs?: number; timeoutMs?: number; onJob?: (job: Job) => void } = {},
  ): Promise<Job> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    for (;;) {
      const job = await this.getJob(id);
      options.onJob?.(job);
      if (isFinalStatus(job.status)) return job;
      if (Date.now() > deadline)
        throw new Error(`job ${id} is still ${job.status} after ${options.timeoutMs} ms`);
      await sleep(options.pollMs ?? 500);
    }
  }

  createSchedule(schedule: CreateScheduleRequest | Record<string, unknown>): Promise<Schedule> {
    return this.request('POST', '/v1/schedules', schedule);
  }

  async listSchedules(): Promise<Schedule[]> {
    return (await this.request<{ schedules: Schedule[] }>('GET', '/v1/schedules')).schedules;
  }

  getSchedule(name: string): Promise<Schedule> {
    return this.request('GET', `/v1/schedules/${encodeURIComponent(name)}`);
  }

  pauseSchedule(name: string, paused = true): Promise<Schedule> {
    return this.request('POST', `/v1/schedules/${encodeURIComponent(name)}/${paused ? 'pause' : 'resume'}`);
  }

  async deleteSchedule(name: string): Promise<void> {
    await this.request('DELETE', `/v1/schedules/${encodeURIComponent(name)}`);
  }

  createToken(
    name: string,
    scopes: string[],
  ): Promise<{ id: string; name: string; scopes: string[]; token: string }> {
    return this.request('POST', '/v1/tokens', { name, scopes });
  }

  async listTokens(): Promise<{ id: string; name: string; scopes: string[]; createdAt: string }[]> {
    return (
      await this.request<{ tokens: { id: string; name: string; scopes: string[]; createdAt: string }[] }>(
        'GET',
        '/v1/tokens',
      )
    ).tokens;
  }

  async revokeToken(id: string): Promise<void> {
    await this.request('DELETE', `/v1/tokens/${encodeURIComponent(id)}`);
  }
}

/** The exact bytes of a log line, with its newline unless it was partial. */
export function lineBytes(line: LogLine): Buffer {
  const body =
    line.base64 !== undefined ? Buffer.from(line.base64, 'base64') : Buffer.from(line.text ?? '', 'utf8');
  return line.partial ? body : Buffer.concat([body, Buffer.from('\n')]);
}

function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
