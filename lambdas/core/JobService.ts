import { createHash } from 'node:crypto';
import {
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  TransitionConflictError,
  ValidationError,
} from './errors.ts';
import { newJobId } from './ids.ts';
import { isFinal, JobStatus } from './jobStatus.ts';
import { arraySize } from './arrays.ts';
import { cancelJob } from './cancelJob.ts';
import { JobStateMachine } from './JobStateMachine.ts';
import { toPublicJob } from './jobView.ts';
import { LIMITS } from './limits.ts';
import { newJob } from './newJob.ts';
import { DEPENDENCIES_WAITING, Pipelines } from './pipelines.ts';
import type {
  Clock,
  DispatchQueue,
  JobObserver,
  JobStore,
  LogReader,
  StdinRef,
  StdinStore,
  StoredJob,
  TaskLauncher,
  WorkerStore,
} from './ports.ts';
import type { CreateJobRequest, Delivery, Job, ListJobsQuery, LogsPage, LogsQuery } from './schemas.ts';

export interface JobServiceDeps {
  jobs: JobStore;
  workers: WorkerStore;
  queue: DispatchQueue;
  stdin: StdinStore;
  launcher: TaskLauncher;
  logs: LogReader;
  clock: Clock;
  observer?: JobObserver;
}

/** Queueing, reading and cancelling jobs: what the API offers, independent of where jobs run. */
export class JobService {
  private readonly machine: JobStateMachine;
  private readonly pipelines: Pipelines;

  constructor(private readonly deps: JobServiceDeps) {
    this.machine = new JobStateMachine(deps);
    this.pipelines = new Pipelines(deps);
  }

  /**
   * Validates and queues a job. With an idempotency key, the same key and body return the job
   * first created; the same key with another body is a conflict.
   */
  async submit(
    input: CreateJobRequest,
    options: { idempotencyKey?: string } = {},
  ): Promise<{ job: Job; created: boolean }> {
    const { jobs, workers, queue, clock } = this.deps;
    const key = options.idempotencyKey;
    if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key))
      throw new ValidationError('Idempotency-Key must be 1-255 visible ASCII characters', 'Idempotency-Key');

    const worker = await workers.get(input.worker);
    if (!worker) throw new ValidationError(`worker "${input.worker}" does not exist`, 'worker');
    // A secret's name is the worker's to fill: a job's plain env may not stand in for it.
    const clash = Object.keys(input.env ?? {}).find((k) => Object.hasOwn(worker.secrets ?? {}, k));
    if (clash)
      throw new ValidationError(`env: ${clash} is a secret of worker "${worker.name}"`, `env.${clash}`);

    const bytes =
      input.stdinBase64 !== undefined
        ? Buffer.from(input.stdinBase64, 'base64')
        : Buffer.from(input.stdin ?? '', 'utf8');
    if (bytes.length > LIMITS.stdinBytes)
      throw new PayloadTooLargeError(
        `stdin is ${bytes.length} bytes; the limit is ${LIMITS.stdinBytes} bytes`,
      );
    const hasStdin = input.stdin !== undefined || input.stdinBase64 !== undefined;
    const array = input.array && {
      size: arraySize(input.array, bytes, hasStdin),
      ...(input.array.split ? { split: input.array.split } : {}),
      created: 0,
    };

    // stdinFrom implies waiting for that job; each named job must exist.
    const after = [...new Set([...(input.after ?? []), ...(input.stdinFrom ? [input.stdinFrom] : [])])];
    if (after.length > LIMITS.maxDependencies)
      throw new ValidationError(`at most ${LIMITS.maxDependencies} jobs to wait for`, 'after');
    for (const dep of after)
      if (!(await jobs.get(dep)))
        throw new ValidationError(
          `job ${dep} does not exist`,
          dep === input.stdinFrom && !input.after?.includes(dep) ? 'stdinFrom' : 'after',
        );

    const now = clock.now();
    let delaySeconds = input.delaySeconds ?? 0;
    if (input.runAt !== undefined)
      delaySeconds = Math.max(0, Math.ceil((Date.parse(input.runAt) - now.getTime()) / 1000));
    if (delaySeconds > LIMITS.maxDelaySeconds)
      throw new ValidationError(`runAt is more than ${LIMITS.maxDelaySeconds / 86400} days ahead`, 'runAt');

    let id = newJobId(now.getTime());
    let requestHash: string | undefined;
    if (key !== undefined) {
      requestHash = hashRequest(input);
      const earlier = await jobs.claimIdempotencyKey(key, { jobId: id, requestHash });
      if (earlier) {
        if (earlier.requestHash !== requestHash)
          throw new ConflictError('this Idempotency-Key was already used with a different request body');
        const existing = await jobs.get(earlier.jobId);
        if (existing) return this.replay(existing);
        // The first request claimed the key and died before writing its job: finish its work.
        id = earlier.jobId;
      }
    }

    const retry = input.retry ?? worker.retry;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const stdin: StdinRef =
      bytes.length <= LIMITS.inlineStdinBytes
        ? { bytes: bytes.length, sha256, inlineBase64: bytes.toString('base64') }
        : { bytes: bytes.length, sha256, blobKey: await this.deps.stdin.put(id, bytes) };
    const iso = now.toISOString();
    const runAt = new Date(now.getTime() + delaySeconds * 1000).toISOString();
    const job: StoredJob = {
      ...newJob({
        id,
        worker: worker.name,
        retry,
        createdAt: iso,
        runAt,
        timeoutSeconds: input.timeoutSeconds ?? worker.timeoutSeconds,
        priority: input.priority ?? worker.priority ?? 0,
        env: input.env ?? {},
        stdin,
        stdinBytes: bytes.length,
        waitingReason:
          after.length > 0
            ? `${DEPENDENCIES_WAITING}: ${after.join(', ')}`
            : delaySeconds > 0
              ? `delayed until ${runAt}`
              : null,
      }),
      // The worker's webhook as it is now: a later change of the worker does not redirect this job's.
      ...((input.notify ?? worker.notify) ? { notify: input.notify ?? worker.notify } : {}),
      ...(after.length > 0 ? { after } : {}),
      ...(input.stdinFrom ? { stdinFrom: input.stdinFrom } : {}),
      // An array parent: its children are made by its dispatch messages (ArrayFanOut).
      ...(array ? { array } : {}),
      ...(key !== undefined ? { idempotencyKey: key, requestHash } : {}),
    };
    try {
      await this.machine.create(job);
    } catch (err) {
      // Two requests with one key raced to finish a claimed job: the loser answers as a replay.
      const existing = key !== undefined && err instanceof ConflictError ? await jobs.get(id) : undefined;
      if (existing) return this.replay(existing);
      throw err;
    }
    await this.pipelines.register(job);
    await queue.send({ jobId: id, attempt: 1 }, delaySeconds);
    return { job: toPublicJob(job), created: true };
  }

  /**
   * Answers a replayed request with the job it made. The first request may have died between
   * writing the job and sending its dispatch message: while the job has not started, the message
   * is sent again (the dispatcher drops the duplicate if the first one did arrive).
   */
  private async replay(existing: StoredJob): Promise<{ job: Job; created: boolean }> {
    if (existing.status === JobStatus.Queued && existing.attempt === 0) {
      const wait = Math.ceil((Date.parse(existing.runAt) - this.deps.clock.now().getTime()) / 1000);
      await this.deps.queue.send({ jobId: existing.id, attempt: 1 }, Math.max(0, wait));
    }
    return { job: toPublicJob(existing), created: false };
  }

  /** The job; an array parent with its children counted by state. */
  async get(id: string): Promise<Job> {
    const job = await this.load(id);
    if (!job.array) return toPublicJob(job);
    const counts = await this.deps.jobs.countChildren(id);
    // Children not made yet are as good as queued: the counts add up to the array's size.
    counts.queued += job.array.size - job.array.created;
    return toPublicJob(job, counts);
  }

  async list(q: ListJobsQuery): Promise<{ jobs: Job[]; nextCursor?: string }> {
    if (q.parent !== undefined) return this.children(q.parent, q);
    const page = await this.deps.jobs.list(q);
    return {
      jobs: page.jobs.map((j) => toPublicJob(j)),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  /** An array's children by index (GET /v1/jobs?parent=ID), optionally in one state. */
  private async children(parentId: string, q: ListJobsQuery): Promise<{ jobs: Job[]; nextCursor?: string }> {
    if (q.worker !== undefined) throw new ValidationError('give parent or worker, not both', 'worker');
    const parent = await this.load(parentId);
    if (!parent.array) throw new ValidationError(`job ${parentId} is not an array's parent`, 'parent');
    const page = await this.deps.jobs.children(parentId, {
      limit: q.limit,
      created: parent.array.created,
      ...(q.status ? { status: q.status } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
    return {
      jobs: page.jobs.map((j) => toPublicJob(j)),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  /**
   * A queued job is cancelled at once and never starts. A starting or running one is marked and its
   * task stopped; it ends `cancelled` when the task's stop is reported.
   */
  async cancel(id: string): Promise<Job> {
    const { launcher, clock } = this.deps;
    for (let tries = 0; tries < 5; tries++) {
      const job = await this.load(id);
      if (isFinal(job.status)) throw new ConflictError(`job ${id} is already ${job.status}`);
      try {
        const done = await cancelJob({ machine: this.machine, launcher, clock }, job);
        // A running array's children are cancelled by its own messages, a chunk at a time.
        if (done.array && !isFinal(done.status))
          await this.deps.queue.send({ jobId: done.id, attempt: done.attempt }, 0);
        return toPublicJob(done);
      } catch (err) {
        if (err instanceof TransitionConflictError) continue; // it moved on under us: look again
        throw err;
      }
    }
    throw new ConflictError(`job ${id} is changing state too fast to cancel; try again`);
  }

  /** The job's webhook deliveries, oldest first, each with its attempts. */
  async deliveries(id: string): Promise<Delivery[]> {
    return (await this.load(id)).deliveries ?? [];
  }

  async logs(id: string, q: LogsQuery): Promise<LogsPage> {
    const job = await this.load(id);
    const attempt = q.attempt ?? Math.max(job.attempt, 1);
    if (attempt > Math.max(job.attempt, 1))
      throw new ValidationError(`job ${id} has had ${job.attempt} attempt(s)`, 'attempt');
    const record = job.attempts.find((a) => a.attempt === attempt);
    const ended = isFinal(job.status) || (record?.finishedAt ?? null) !== null;
    if (!record?.taskId) {
      return { jobId: id, attempt, lines: [], nextCursor: q.cursor ?? '', complete: ended };
    }
    const page = await this.deps.logs.read({
      jobId: id,
      attempt,
      taskId: record.taskId,
      stream: q.stream,
      limit: q.limit,
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
    return {
      jobId: id,
      attempt,
      lines: page.lines,
      nextCursor: page.nextCursor,
      complete: ended && page.lines.length < q.limit,
    };
  }

  private async load(id: string): Promise<StoredJob> {
    const job = await this.deps.jobs.get(id);
    if (!job) throw new NotFoundError(`job ${id} does not exist`);
    return job;
  }
}

function hashRequest(input: CreateJobRequest): string {
  return createHash('sha256').update(stableJson(input)).digest('hex');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}
