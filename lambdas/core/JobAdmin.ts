import { ConflictError, NotFoundError, TransitionConflictError, ValidationError } from './errors.ts';
import { newJobId } from './ids.ts';
import { isFinal } from './jobStatus.ts';
import { JobStateMachine } from './JobStateMachine.ts';
import { toPublicJob } from './jobView.ts';
import { LIMITS } from './limits.ts';
import { newJob } from './newJob.ts';
import type {
  Clock,
  DispatchQueue,
  JobObserver,
  JobStore,
  LogReader,
  StdinRef,
  StdinStore,
  StoredJob,
  WorkerStore,
} from './ports.ts';
import { JobEnv, parseInput } from './schemas.ts';
import type { Job, PurgeJobsRequest, PurgeResult, RerunJobRequest } from './schemas.ts';

export interface JobAdminDeps {
  jobs: JobStore;
  workers: WorkerStore;
  queue: DispatchQueue;
  stdin: StdinStore;
  logs: LogReader;
  clock: Clock;
  observer?: JobObserver;
}

/** Listing pages a purge reads at most per call, so a call stays short when few jobs match. */
const PURGE_MAX_PAGES = 10;

/**
 * What is done with finished jobs: re-run one as a new job, delete one with its stdin and output,
 * purge many. Only finished jobs: a job that may still hold a task is left to finish (or be
 * cancelled) first.
 */
export class JobAdmin {
  private readonly machine: JobStateMachine;

  constructor(private readonly deps: JobAdminDeps) {
    this.machine = new JobStateMachine(deps);
  }

  /**
   * Queues a new job with the original's worker, stdin, env, timeout and retry policy (each of
   * these but the worker and stdin may be overridden; env overrides are set over the original's).
   * The new job names the original in `rerunOf`, the original lists it in `reruns`.
   * Large stdin is copied for the new job; if retention removed it, the re-run is refused (410).
   *
   * @example
   * const job = await admin.rerun('01kb2x7d3q9m4v8e6r5t0y1z2w', { env: { MODE: 'verbose' } });
   */
  async rerun(id: string, overrides: RerunJobRequest): Promise<Job> {
    const { jobs, workers, queue, clock } = this.deps;
    const original = await this.load(id);
    if (!isFinal(original.status))
      throw new ConflictError(`job ${id} is ${original.status}: only a finished job can be re-run`);
    const worker = await workers.get(original.worker);
    if (!worker) throw new ConflictError(`worker "${original.worker}" of job ${id} no longer exists`);

    const now = clock.now();
    let delaySeconds = overrides.delaySeconds ?? 0;
    if (overrides.runAt !== undefined)
      delaySeconds = Math.max(0, Math.ceil((Date.parse(overrides.runAt) - now.getTime()) / 1000));
    if (delaySeconds > LIMITS.maxDelaySeconds)
      throw new ValidationError(`runAt is more than ${LIMITS.maxDelaySeconds / 86400} days ahead`, 'runAt');
    // The merged env must pass the limits a job's own env does (it travels the same way).
    const env = parseInput(
      JobEnv,
      { ...original.env, ...overrides.env },
      'body.env (merged with the original)',
    );

    const newId = newJobId(now.getTime());
    const stdin: StdinRef =
      'blobKey' in original.stdin
        ? { bytes: original.stdin.bytes, blobKey: await this.deps.stdin.copy(original.stdin.blobKey, newId) }
        : original.stdin;
    const retry = overrides.retry ?? original.retry;
    const iso = now.toISOString();
    const runAt = new Date(now.getTime() + delaySeconds * 1000).toISOString();
    const job: StoredJob = {
      ...newJob({
        id: newId,
        worker: original.worker,
        retry,
        createdAt: iso,
        runAt,
        timeoutSeconds: overrides.timeoutSeconds ?? original.timeoutSeconds,
        priority: original.priority,
        env,
        stdin,
        stdinBytes: original.stdinBytes,
        waitingReason: delaySeconds > 0 ? `delayed until ${runAt}` : null,
      }),
      rerunOf: original.id,
      // An array's parent re-runs as a new array (its children made anew); a child keeps its
      // index and size in its env, but is nobody's child: its array has ended.
      ...(original.array ? { array: { ...original.array, created: 0 } } : {}),
      ...(original.arrayIndex !== undefined && original.arraySize !== undefined
        ? { arrayIndex: original.arrayIndex, arraySize: original.arraySize }
        : {}),
    };
    await this.machine.create(job);
    try {
      await this.machine.linkRerun(original, newId);
    } catch (err) {
      // Deleted in the meantime: the new job still names where it came from.
      if (!(err instanceof NotFoundError)) throw err;
    }
    // A crash before this send leaves a queued job without a message: the reconciler sends it.
    await queue.send({ jobId: newId, attempt: 1 }, delaySeconds);
    return toPublicJob((await jobs.get(newId)) ?? job);
  }

  /** Deletes a finished job with its stdin and output. 404 if unknown, 409 if not finished. */
  async delete(id: string): Promise<void> {
    const job = await this.load(id);
    if (!isFinal(job.status))
      throw new ConflictError(`job ${id} is ${job.status}: cancel it, or wait for it to finish, first`);
    try {
      await this.removeFinished(job);
    } catch (err) {
      if (err instanceof TransitionConflictError) throw new ConflictError(`job ${id} changed; try again`);
      throw err;
    }
  }

  /**
   * Deletes finished jobs by worker, final status and age, newest first, at most `limit` a call;
   * `more` says whether to call again.
   */
  async purge(q: PurgeJobsRequest): Promise<PurgeResult> {
    const cutoff = this.deps.clock.now().getTime() - q.olderThanSeconds * 1000;
    let deleted = 0;
    let cursor: string | undefined;
    for (let pages = 0; pages < PURGE_MAX_PAGES; pages++) {
      const page = await this.deps.jobs.list({
        ...(q.worker ? { worker: q.worker } : {}),
        ...(q.status ? { status: q.status } : {}),
        limit: LIMITS.listLimitMax,
        ...(cursor ? { cursor } : {}),
      });
      for (const job of page.jobs) {
        if (!isFinal(job.status)) continue;
        if (job.finishedAt === null || Date.parse(job.finishedAt) > cutoff) continue;
        if (deleted >= q.limit) return { deleted, more: true };
        try {
          await this.removeFinished(job);
          deleted++;
        } catch (err) {
          // Deleted by someone else meanwhile: not ours to count.
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
      cursor = page.nextCursor;
      if (!cursor) return { deleted, more: false };
    }
    return { deleted, more: true };
  }

  /** Output and stdin first: if this stops half way, the job is still there to delete again. */
  private async removeFinished(job: StoredJob): Promise<void> {
    for (const attempt of job.attempts) {
      if (attempt.taskId)
        await this.deps.logs.deleteOutput({
          jobId: job.id,
          attempt: attempt.attempt,
          taskId: attempt.taskId,
        });
    }
    if ('blobKey' in job.stdin) await this.deps.stdin.delete(job.stdin.blobKey);
    await this.machine.remove(job);
  }

  private async load(id: string): Promise<StoredJob> {
    const job = await this.deps.jobs.get(id);
    if (!job) throw new NotFoundError(`job ${id} does not exist`);
    return job;
  }
}
