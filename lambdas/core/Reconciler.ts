import { ConcurrencyGate } from './ConcurrencyGate.ts';
import { JobStatus } from './jobStatus.ts';
import {
  TaskStopCause,
  type Clock,
  type ConcurrencySlots,
  type DispatchQueue,
  type JobStore,
  type StoredJob,
  type TaskLauncher,
  type WorkerStore,
} from './ports.ts';
import { TIMEOUT_STOP_REASON } from './taskSpec.ts';
import type { TaskStatusRecorder } from './TaskStatusRecorder.ts';

export interface ReconcileSummary {
  checked: number;
  settled: number;
  redispatched: number;
  timedOut: number;
  /** Concurrency slots given back because their attempt had ended (a release lost in a crash). */
  slotsFreed: number;
}

export interface ReconcilerOptions {
  /** A starting job that made no progress for this long is looked at (default 5 minutes). */
  stuckAfterSeconds?: number;
  /**
   * A queued job still waiting this long after its runAt has lost its dispatch message (a POST
   * that died between writing the job and sending it, a message dropped): it is sent again
   * (default 60 s). A healthy queue dispatches a due job within seconds, and a duplicate message
   * is dropped by the dispatcher, so this can be short.
   */
  lostDispatchAfterSeconds?: number;
  /** Grace after a job's timeout before the reconciler stops its task itself (default 30 s). */
  timeoutGraceSeconds?: number;
  /** At most this many jobs per status per run, so a run stays short. */
  maxJobsPerStatus?: number;
  /**
   * A concurrency slot whose attempt is not starting or running is freed once it is this old
   * (default 60 s): younger, its dispatcher may still be between taking it and starting the attempt.
   */
  slotGraceSeconds?: number;
}

/**
 * Runs on a timer and settles what events alone would leave hanging: a job whose task stopped or
 * vanished while its events were missed, a job past its timeout whose task still runs, a job
 * whose dispatch message was lost. Everything it does goes through the same conditional
 * transitions as the events, so running it at any time, or twice, is safe.
 */
export class Reconciler {
  private readonly stuckMs: number;
  private readonly lostDispatchMs: number;
  private readonly graceMs: number;
  private readonly maxJobs: number;
  private readonly slotGraceMs: number;
  private readonly gate: ConcurrencyGate;

  constructor(
    private readonly deps: {
      jobs: JobStore;
      workers: WorkerStore;
      slots: ConcurrencySlots;
      launcher: TaskLauncher;
      queue: DispatchQueue;
      clock: Clock;
      recorder: TaskStatusRecorder;
    },
    options: ReconcilerOptions = {},
  ) {
    this.gate = new ConcurrencyGate(deps);
    this.slotGraceMs = (options.slotGraceSeconds ?? 60) * 1000;
    this.stuckMs = (options.stuckAfterSeconds ?? 300) * 1000;
    this.lostDispatchMs = (options.lostDispatchAfterSeconds ?? 60) * 1000;
    this.graceMs = (options.timeoutGraceSeconds ?? 30) * 1000;
    this.maxJobs = options.maxJobsPerStatus ?? 500;
  }

  async run(): Promise<ReconcileSummary> {
    const summary: ReconcileSummary = { checked: 0, settled: 0, redispatched: 0, timedOut: 0, slotsFreed: 0 };
    const heldBy = new Set<string>();
    for (const status of [JobStatus.Running, JobStatus.Starting, JobStatus.Queued]) {
      for (const job of await this.jobsIn(status)) {
        summary.checked++;
        // Held-back jobs are sent on by their worker's slots (below), not one by one.
        if (job.status === JobStatus.Queued && job.heldBack) heldBy.add(job.worker);
        else await this.reconcile(job, summary);
      }
    }
    await this.settleSlots(heldBy, summary);
    return summary;
  }

  /**
   * Frees the slots of attempts that ended without giving them back (a crash between the job's
   * write and its observer), and sends held-back jobs on into the free slots: of every worker
   * with a limit, and of every worker that has held-back jobs (its limit raised or removed, or
   * the worker deleted: the dispatcher then fails them).
   */
  private async settleSlots(heldBy: Set<string>, summary: ReconcileSummary): Promise<void> {
    const names = new Set(heldBy);
    for (const worker of await this.deps.workers.list())
      if (worker.maxConcurrency !== undefined) names.add(worker.name);
    for (const name of names) {
      const { freed, woken } = await this.gate.settle(name, this.slotGraceMs);
      summary.slotsFreed += freed;
      summary.redispatched += woken;
    }
  }

  private async jobsIn(status: JobStatus): Promise<StoredJob[]> {
    const found: StoredJob[] = [];
    let cursor: string | undefined;
    do {
      // Oldest first: with more than maxJobs in a status, the longest waiting are never skipped.
      const page = await this.deps.jobs.list({
        status,
        limit: 100,
        oldestFirst: true,
        ...(cursor ? { cursor } : {}),
      });
      found.push(...page.jobs);
      cursor = page.nextCursor;
    } while (cursor && found.length < this.maxJobs);
    return found;
  }

  private async reconcile(job: StoredJob, summary: ReconcileSummary): Promise<void> {
    const now = this.deps.clock.now().getTime();
    const idleMs = now - Date.parse(job.updatedAt);

    if (job.status === JobStatus.Queued) {
      // Its message should have come by now: send another (the dispatcher drops duplicates).
      if (now - Date.parse(job.runAt) > this.lostDispatchMs) {
        await this.deps.queue.send({ jobId: job.id, attempt: job.attempt + 1 }, 0);
        summary.redispatched++;
      }
      return;
    }

    // An array parent has no task: its message makes what children are left to make, or cancels
    // them, and settles it (an ending child's settle message may have been lost to a crash).
    if (job.array) {
      const making = job.array.created < job.array.size || job.cancelRequested;
      if (!making || idleMs > this.lostDispatchMs) {
        await this.deps.queue.send(
          { jobId: job.id, attempt: job.attempt, ...(making ? {} : { settle: true }) },
          0,
        );
        summary.redispatched++;
      }
      return;
    }

    if (!job.taskId) {
      if (idleMs > this.stuckMs) {
        await this.deps.queue.send({ jobId: job.id, attempt: job.attempt }, 0);
        summary.redispatched++;
      }
      return;
    }

    const task = await this.deps.launcher.describe(job.taskId);
    if (!task || task.state === 'stopped') {
      const result = await this.deps.recorder.record({
        taskId: job.taskId,
        jobId: job.id,
        attempt: job.attempt,
        state: 'stopped',
        at: task?.phases?.stoppedAt ?? new Date(now),
        exitCode: task?.exitCode ?? null,
        cause: task?.cause ?? TaskStopCause.Lost,
        ...(task?.phases ? { phases: task.phases } : {}),
        reason: task ? (task.reason ?? 'task stopped') : 'the task vanished: no record of it remains',
      });
      if (result === 'recorded') summary.settled++;
      return;
    }

    if (task.state === 'running' && job.status === JobStatus.Starting) {
      await this.deps.recorder.record({
        taskId: job.taskId,
        jobId: job.id,
        attempt: job.attempt,
        state: 'running',
        at: task.phases?.startedAt ?? new Date(now),
        ...(task.phases ? { phases: task.phases } : {}),
      });
    }

    const startedAt =
      task.phases?.startedAt?.getTime() ?? (job.startedAt ? Date.parse(job.startedAt) : undefined);
    if (startedAt !== undefined && now > startedAt + job.timeoutSeconds * 1000 + this.graceMs) {
      await this.deps.launcher.stop(job.taskId, TIMEOUT_STOP_REASON);
      summary.timedOut++;
    }
  }
}
