import { TransitionConflictError } from './errors.ts';
import { isFinal, JobStatus } from './jobStatus.ts';
import { FinishFrom, type JobStateMachine } from './JobStateMachine.ts';
import { LIMITS } from './limits.ts';
import type {
  Clock,
  DispatchQueue,
  JobObserver,
  JobStore,
  LogReader,
  StdinRef,
  StdinStore,
  StoredJob,
} from './ports.ts';

/** What a job waiting on others says while it waits. */
export const DEPENDENCIES_WAITING = 'waiting for dependencies';

const NOT_FINAL = [JobStatus.Queued, JobStatus.Starting, JobStatus.Running];

/**
 * Jobs that run after others (`after`), and take another's stdout as stdin (`stdinFrom`). A job
 * with dependencies is queued like any other; the dispatcher asks `gate` before its first attempt
 * starts: it waits while a dependency has not ended, ends `cancelled` when one did not succeed,
 * and otherwise runs (with its stdin filled in from `stdinFrom`). A dependency that ends sends its
 * dependents' dispatch messages again (`pipelineObserver`); should that message be lost to a
 * crash, the reconciler sends it again as it does any queued job's.
 */
export class Pipelines {
  constructor(
    private readonly deps: {
      jobs: JobStore;
      logs: LogReader;
      stdin: StdinStore;
      clock: Clock;
    },
  ) {}

  /**
   * Records `job` as a dependent on each of its dependencies still running, so their end wakes it.
   * A dependency that already ended needs no record: the job's own dispatch message finds it so.
   */
  async register(job: StoredJob): Promise<void> {
    for (const dep of job.after ?? []) {
      try {
        await this.deps.jobs.update(dep, { status: NOT_FINAL }, {}, { dependents: [job.id] });
      } catch (err) {
        if (!(err instanceof TransitionConflictError)) throw err;
      }
    }
  }

  /**
   * Before the first attempt of a job with dependencies: 'wait' while one has not ended; the job
   * cancelled (returned with status `cancelled`) when one did not succeed or its stdout cannot be
   * the job's stdin; otherwise the job, with its stdin filled in from `stdinFrom`.
   */
  async gate(job: StoredJob, machine: JobStateMachine): Promise<StoredJob | 'wait'> {
    if (!job.after?.length || job.attempt !== 0) return job;
    const deps: StoredJob[] = [];
    for (const id of job.after) {
      const dep = await this.deps.jobs.get(id);
      if (!dep) return this.cancel(job, machine, `dependency ${id} no longer exists`);
      if (!isFinal(dep.status)) return 'wait';
      if (dep.status !== JobStatus.Succeeded)
        return this.cancel(job, machine, `dependency ${id} ended ${dep.status}: this job did not run`);
      deps.push(dep);
    }
    const source = deps.find((d) => d.id === job.stdinFrom);
    if (!source || job.stdinReady) return job;
    const bytes = await this.stdout(source);
    if (bytes.length > LIMITS.stdinBytes)
      return this.cancel(
        job,
        machine,
        `stdin from job ${source.id} would be ${bytes.length} bytes; the limit is ${LIMITS.stdinBytes} bytes`,
      );
    const stdin: StdinRef =
      bytes.length <= LIMITS.inlineStdinBytes
        ? { bytes: bytes.length, inlineBase64: bytes.toString('base64') }
        : { bytes: bytes.length, blobKey: await this.deps.stdin.put(job.id, bytes) };
    return this.deps.jobs.update(
      job.id,
      { status: [JobStatus.Queued], attempt: 0 },
      { stdin, stdinBytes: bytes.length, stdinReady: true, updatedAt: this.deps.clock.now().toISOString() },
    );
  }

  /** The final attempt's stdout, byte for byte as the log reader gives it back. */
  private async stdout(job: StoredJob): Promise<Buffer> {
    const record = job.attempts.find((a) => a.attempt === job.attempt);
    if (!record?.taskId) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      const limit = LIMITS.logLimitMax;
      const out = await this.deps.logs.read({
        jobId: job.id,
        attempt: job.attempt,
        taskId: record.taskId,
        stream: 'stdout',
        limit,
        ...(cursor ? { cursor } : {}),
      });
      for (const line of out.lines) {
        parts.push(
          line.base64 !== undefined
            ? Buffer.from(line.base64, 'base64')
            : Buffer.from(line.text ?? '', 'utf8'),
        );
        if (!line.partial) parts.push(Buffer.from('\n'));
      }
      // The end is where the cursor stops moving (a page may hold no stdout and still move on).
      if (!out.nextCursor || out.nextCursor === cursor) break;
      cursor = out.nextCursor;
    }
    return Buffer.concat(parts);
  }

  private async cancel(job: StoredJob, machine: JobStateMachine, reason: string): Promise<StoredJob> {
    return machine.finish(job, FinishFrom.Queued, {
      status: JobStatus.Cancelled,
      exitCode: null,
      reason,
      at: this.deps.clock.now(),
    });
  }
}

/** Wakes a finished job's dependents: their dispatch messages come again, and the gate decides. */
export function pipelineObserver(queue: DispatchQueue): JobObserver {
  return {
    onFinished: async (job) => {
      for (const id of job.dependents ?? []) await queue.send({ jobId: id, attempt: 1 }, 0);
    },
  };
}
