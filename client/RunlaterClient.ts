import type { z } from 'zod';
import type * as schemas from '../lambdas/core/schemas.ts';
import type { Job, LogLine, LogsPage, Schedule, TokenInfo, Worker } from '../lambdas/core/schemas.ts';
import type { JobStatus } from '../lambdas/core/jobStatus.ts';
import { isFinalStatus, lineBytes, sleep, type LogStream } from './util.ts';

export type { Job, JobStatus, LogLine, LogsPage, LogStream, Schedule, TokenInfo, Worker };
export type WorkerStats = z.infer<typeof schemas.WorkerStats>;
export { isFinalStatus, lineBytes };

// Request bodies as callers write them: zod's *input* types, in which fields with a server-side
// default (retry.maxAttempts, retry.jitter, ...) are optional; the exported output types are not.
export type Delivery = z.output<typeof schemas.Delivery>;
export type CreateWorkerInput = z.input<typeof schemas.CreateWorkerRequest>;
export type UpdateWorkerInput = z.input<typeof schemas.UpdateWorkerRequest>;
export type CreateJobInput = z.input<typeof schemas.CreateJobRequest>;
export type CreateScheduleInput = z.input<typeof schemas.CreateScheduleRequest>;
export type RetryPolicyInput = z.input<typeof schemas.RetryPolicy>;
export type RerunJobInput = z.input<typeof schemas.RerunJobRequest>;
export type PurgeJobsInput = z.input<typeof schemas.PurgeJobsRequest>;
export type PurgeResult = z.output<typeof schemas.PurgeResult>;

export interface ListJobsQuery {
  worker?: string;
  status?: JobStatus;
  limit?: number;
  cursor?: string;
}
export interface JobList {
  jobs: Job[];
  nextCursor?: string;
}
export interface LogsQuery {
  stream?: LogStream;
  attempt?: number;
  cursor?: string;
  limit?: number;
}
export interface FollowOptions {
  stream?: LogStream;
  /** Only this attempt; by default every attempt in turn, as a retried job makes them. */
  attempt?: number;
  /**
   * Between reads of new output, the job is long-polled this many seconds (default 1): output
   * shows within about that time, and the end of the job at once.
   */
  waitSeconds?: number;
  /** The least time between two reads of a job still running (default 400 ms; see WaitOptions). */
  pollMs?: number;
  /** Aborting ends the iteration quietly. */
  signal?: AbortSignal;
  /** Called with every job state the follower fetches (for progress displays). */
  onJob?: (job: Job) => void;
}
export interface WaitOptions {
  /**
   * The least time between two reads of a job still running (default 500 ms). The job is
   * long-polled, so this only matters with a server that answers at once (one older than the
   * long-poll).
   */
  pollMs?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  onJob?: (job: Job) => void;
}

/** `waitForJob` ran out of time; `job` is the job as last seen, still not final. */
export class RunlaterTimeoutError extends Error {
  override readonly name = 'RunlaterTimeoutError';
  constructor(
    readonly job: Job,
    message: string,
  ) {
    super(message);
  }
}

/** An error answer of the API (or no answer: status 0, code `unreachable`). */
export class RunlaterApiError extends Error {
  override readonly name = 'RunlaterApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface RunlaterClientOptions {
  url: string;
  token: string;
  fetch?: typeof fetch;
}

interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
}

/**
 * A typed client of the runlater API, the same for `runlater dev` and a deployment on AWS.
 *
 * @example
 * const client = new RunlaterClient({ url: 'http://127.0.0.1:8080', token });
 * await client.createWorker({ name: 'echo', image: 'busybox', command: ['cat'] });
 * const job = await client.submitJob({ worker: 'echo', stdin: 'hello' });
 * const done = await client.waitForJob(job.id);
 */
export class RunlaterClient {
  private readonly base: string;
  private readonly token: string;
  private readonly fetchFn: typeof fetch;

  constructor(options: RunlaterClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.fetchFn = options.fetch ?? fetch;
  }

  /**
   * Calls any route; the typed methods below are built on it.
   * @example const doc = await client.request<object>('GET', '/openapi.json')
   */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const { body, headers = {}, signal } = options;
    let res: Response;
    try {
      res = await this.fetchFn(this.base + path, {
        method,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${this.token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new RunlaterApiError(0, 'unreachable', `cannot reach ${this.base}: ${cause}`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: a proxy's error page, or not a runlater server at all.
      throw new RunlaterApiError(
        res.status,
        res.ok ? 'bad_response' : `http_${res.status}`,
        `${method} ${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`,
      );
    }
    if (!res.ok) {
      const error = (parsed as { error?: { code?: string; message?: string; field?: string } } | undefined)
        ?.error;
      throw new RunlaterApiError(
        res.status,
        error?.code ?? `http_${res.status}`,
        error?.message ?? `HTTP ${res.status} ${res.statusText}`,
        error?.field,
      );
    }
    return parsed as T;
  }

  /** @example await client.health() // { ok: true } */
  health(): Promise<{ ok: true }> {
    return this.request('GET', '/v1/health');
  }

  /** @example await client.createWorker({ name: 'resize', image: 'ghcr.io/acme/resize:1', env: { SIZE: '128' } }) */
  createWorker(worker: CreateWorkerInput): Promise<Worker & { webhookSecret: string }> {
    return this.request('POST', '/v1/workers', { body: worker });
  }

  /**
   * Replaces the worker's webhook secret; the new one is returned this once.
   * @example const { webhookSecret } = await client.rotateWebhookSecret('resize')
   */
  rotateWebhookSecret(name: string): Promise<{ webhookSecret: string }> {
    return this.request('POST', `/v1/workers/${enc(name)}/webhook-secret`);
  }

  /** @example for (const d of await client.listDeliveries(id)) console.log(d.event, d.status, d.attempts.length) */
  async listDeliveries(id: string): Promise<Delivery[]> {
    return (await this.request<{ deliveries: Delivery[] }>('GET', `/v1/jobs/${enc(id)}/deliveries`))
      .deliveries;
  }

  /** @example for (const w of await client.listWorkers()) console.log(w.name, w.image) */
  async listWorkers(): Promise<Worker[]> {
    return (await this.request<{ workers: Worker[] }>('GET', '/v1/workers')).workers;
  }

  /** @example const w = await client.getWorker('resize') */
  getWorker(name: string): Promise<Worker> {
    return this.request('GET', `/v1/workers/${enc(name)}`);
  }

  /**
   * A worker's jobs counted by state: queued (and held back by its limit), starting, running,
   * finished in the last hour and day.
   * @example const { queued, running } = await client.getWorkerStats('resize')
   */
  getWorkerStats(name: string): Promise<WorkerStats> {
    return this.request('GET', `/v1/workers/${enc(name)}/stats`);
  }

  /**
   * Replaces a worker's settings (PUT: fields left out take their defaults).
   * @example await client.updateWorker('resize', { image: 'ghcr.io/acme/resize:2' })
   */
  updateWorker(name: string, worker: UpdateWorkerInput): Promise<Worker> {
    return this.request('PUT', `/v1/workers/${enc(name)}`, { body: worker });
  }

  /** @example await client.deleteWorker('resize') */
  async deleteWorker(name: string): Promise<void> {
    await this.request('DELETE', `/v1/workers/${enc(name)}`);
  }

  /**
   * Queues a job. With an idempotency key, the same request sent again returns the same job.
   * @example await client.submitJob({ worker: 'resize', stdinBase64: png.toString('base64') }, { idempotencyKey: 'upload-42' })
   */
  submitJob(job: CreateJobInput, options: { idempotencyKey?: string } = {}): Promise<Job> {
    const headers: Record<string, string> = options.idempotencyKey
      ? { 'idempotency-key': options.idempotencyKey }
      : {};
    return this.request('POST', '/v1/jobs', { body: job, headers });
  }

  /**
   * The job; with `waitSeconds` (0-20), a long-poll: the answer comes as soon as the job is final,
   * else after that many seconds with the job as it is then.
   * @example const job = await client.getJob(id); console.log(job.status, job.exitCode)
   * @example const job = await client.getJob(id, { waitSeconds: 20 }) // final, or after 20 s
   */
  getJob(id: string, options: { signal?: AbortSignal; waitSeconds?: number } = {}): Promise<Job> {
    const query = queryString({ waitSeconds: options.waitSeconds || undefined });
    return this.request('GET', `/v1/jobs/${enc(id)}${query}`, { signal: options.signal });
  }

  /** Newest first. @example const { jobs, nextCursor } = await client.listJobs({ worker: 'resize', status: 'failed' }) */
  listJobs(query: ListJobsQuery = {}): Promise<JobList> {
    return this.request('GET', `/v1/jobs${queryString({ ...query })}`);
  }

  /** @example await client.cancelJob(id) // a queued job never starts; a running one is stopped */
  cancelJob(id: string): Promise<Job> {
    return this.request('POST', `/v1/jobs/${enc(id)}/cancel`);
  }

  /**
   * Queues a finished job again as a new job (same worker, stdin, env and settings; `env` given
   * here is set over the original's). @example const again = await client.rerunJob(id, { env: { MODE: 'verbose' } })
   */
  rerunJob(id: string, overrides: RerunJobInput = {}): Promise<Job> {
    return this.request('POST', `/v1/jobs/${enc(id)}/rerun`, { body: overrides });
  }

  /** Deletes a finished job with its stdin and output. @example await client.deleteJob(id) */
  async deleteJob(id: string): Promise<void> {
    await this.request('DELETE', `/v1/jobs/${enc(id)}`);
  }

  /**
   * Deletes finished jobs, at most `limit` a call; call again while `more`.
   * @example const { deleted, more } = await client.purgeJobs({ worker: 'resize', olderThanSeconds: 86400 })
   */
  purgeJobs(query: PurgeJobsInput = {}): Promise<PurgeResult> {
    return this.request('POST', '/v1/jobs/purge', { body: query });
  }

  /** One page of output. @example const page = await client.getLogs(id, { stream: 'stderr' }) */
  getLogs(id: string, query: LogsQuery = {}, options: { signal?: AbortSignal } = {}): Promise<LogsPage> {
    return this.request('GET', `/v1/jobs/${enc(id)}/logs${queryString({ ...query })}`, {
      signal: options.signal,
    });
  }

  /**
   * Follows a job's output: yields lines as they come and ends once the job is final and every
   * line has been read. Write `lineBytes(line)` to reproduce the output byte for byte.
   * @example for await (const line of client.followLogs(job.id)) process.stdout.write(lineBytes(line))
   */
  async *followLogs(id: string, options: FollowOptions = {}): AsyncGenerator<LogLine> {
    const { signal } = options;
    const waitSeconds = options.waitSeconds ?? 1;
    let attempt = options.attempt ?? 1;
    let cursor: string | undefined;
    const readJob = async (): Promise<Job> => {
      const job = await this.longPoll(id, waitSeconds, options.pollMs ?? 400, signal);
      options.onJob?.(job);
      return job;
    };
    try {
      // `job` is always fetched before the page it is compared with: a job that was final (or on a
      // later attempt) before a page came back caught up cannot have written anything after it.
      // The first read waits too: a short job is then final at once and its output read in one go.
      let job = await readJob();
      for (;;) {
        const page = await this.poll(
          () => this.getLogs(id, { stream: options.stream, attempt, cursor }, { signal }),
          signal,
        );
        for (const line of page.lines) yield line;
        cursor = page.nextCursor || undefined;
        const caughtUp = page.complete || page.lines.length === 0;
        if (!caughtUp) continue; // a backlog: read on without waiting
        if (options.attempt !== undefined && (page.complete || isFinalStatus(job.status))) return;
        if (options.attempt === undefined && job.attempt > attempt) {
          attempt += 1;
          cursor = undefined;
          continue;
        }
        if (isFinalStatus(job.status)) return;
        job = await readJob();
        if (signal?.aborted) return;
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
  }

  /**
   * Waits until the job is final and returns it, long-polling the job (each request held by the
   * server until the job ends, or for up to 20 s).
   * @example const job = await client.waitForJob(id, { timeoutMs: 60_000 }); console.log(job.exitCode)
   */
  async waitForJob(id: string, options: WaitOptions = {}): Promise<Job> {
    const { signal } = options;
    const deadline = Date.now() + (options.timeoutMs ?? Infinity);
    for (;;) {
      const left = deadline - Date.now();
      const waitSeconds = Math.min(MAX_WAIT_SECONDS, Math.max(0, Math.floor(left / 1000)));
      const job = await this.longPoll(id, waitSeconds, options.pollMs ?? 500, signal, left);
      options.onJob?.(job);
      if (isFinalStatus(job.status)) return job;
      if (Date.now() >= deadline)
        throw new RunlaterTimeoutError(job, `job ${id} is still ${job.status} after ${options.timeoutMs} ms`);
      signal?.throwIfAborted();
    }
  }

  /** @example await client.createSchedule({ name: 'nightly', worker: 'report', expression: 'cron(0 2 * * ? *)' }) */
  createSchedule(schedule: CreateScheduleInput): Promise<Schedule> {
    return this.request('POST', '/v1/schedules', { body: schedule });
  }

  /** @example const schedules = await client.listSchedules() */
  async listSchedules(): Promise<Schedule[]> {
    return (await this.request<{ schedules: Schedule[] }>('GET', '/v1/schedules')).schedules;
  }

  /** @example const s = await client.getSchedule('nightly') */
  getSchedule(name: string): Promise<Schedule> {
    return this.request('GET', `/v1/schedules/${enc(name)}`);
  }

  /** @example await client.pauseSchedule('nightly'); await client.pauseSchedule('nightly', false) */
  pauseSchedule(name: string, paused = true): Promise<Schedule> {
    return this.request('POST', `/v1/schedules/${enc(name)}/${paused ? 'pause' : 'resume'}`);
  }

  /** @example await client.deleteSchedule('nightly') */
  async deleteSchedule(name: string): Promise<void> {
    await this.request('DELETE', `/v1/schedules/${enc(name)}`);
  }

  /** The token is in the answer only: the server keeps its hash. @example const { token } = await client.createToken('ci', ['jobs']) */
  createToken(name: string, scopes: ('admin' | 'jobs')[]): Promise<TokenInfo & { token: string }> {
    return this.request('POST', '/v1/tokens', { body: { name, scopes } });
  }

  /**
   * Sets a secret kept by runlater dev (admin); workers name it in `secrets`. The value is never
   * returned. @example await client.setSecret('db-password', process.env.DB_PASSWORD!)
   */
  async setSecret(name: string, value: string): Promise<void> {
    await this.request('PUT', `/v1/secrets/${enc(name)}`, { body: { value } });
  }

  /** Names and times only. @example const names = (await client.listSecrets()).map((s) => s.name) */
  async listSecrets(): Promise<{ name: string; updatedAt: string }[]> {
    return (await this.request<{ secrets: { name: string; updatedAt: string }[] }>('GET', '/v1/secrets'))
      .secrets;
  }

  /** @example await client.deleteSecret('db-password') */
  async deleteSecret(name: string): Promise<void> {
    await this.request('DELETE', `/v1/secrets/${enc(name)}`);
  }

  /** @example const tokens = await client.listTokens() */
  async listTokens(): Promise<TokenInfo[]> {
    return (await this.request<{ tokens: TokenInfo[] }>('GET', '/v1/tokens')).tokens;
  }

  /** @example await client.revokeToken(info.id) */
  async revokeToken(id: string): Promise<void> {
    await this.request('DELETE', `/v1/tokens/${enc(id)}`);
  }

  /**
   * One long-poll of the job. A job still running that comes back sooner than `minMs` (a server
   * that does not know waitSeconds answers at once) is read again only after `minMs` in all,
   * within `leftMs`, so no server is ever polled in a tight loop.
   */
  private async longPoll(
    id: string,
    waitSeconds: number,
    minMs: number,
    signal: AbortSignal | undefined,
    leftMs = Infinity,
  ): Promise<Job> {
    const started = Date.now();
    const job = await this.poll(() => this.getJob(id, { signal, waitSeconds }), signal);
    const early = Math.min(minMs, leftMs) - (Date.now() - started);
    if (!isFinalStatus(job.status) && early > 0) await sleep(early, signal);
    return job;
  }

  /** Long waits outlive brief outages and throttling: retry those a few times, slower each time. */
  private async poll<T>(call: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return await call();
      } catch (err) {
        const delay = pollDelay(err, tries);
        if (delay === undefined || signal?.aborted) throw err;
        await sleep(delay, signal);
      }
    }
  }
}

/** The longest long-poll the API holds a request for (LIMITS.jobWaitSecondsMax on the server). */
const MAX_WAIT_SECONDS = 20;

const TRANSIENT = new Set([0, 429, 502, 503, 504]);

/** How long to wait before trying a failed poll again, or undefined to give up. */
function pollDelay(err: unknown, tries: number): number | undefined {
  if (!(err instanceof RunlaterApiError) || !TRANSIENT.has(err.status) || tries > 5) return undefined;
  return Math.min(500 * 2 ** tries, 10_000);
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}
